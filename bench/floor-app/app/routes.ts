import { type RouteConfig, index, route } from '@react-router/dev/routes';

// The TODO app's route nesting for the list page (root → tenant layout → list), nothing else.
export default [route('t/:name', 'routes/tenant.tsx', { id: 'tenant' }, [index('routes/list.tsx', { id: 'list-all' })])] satisfies RouteConfig;

import { type RouteConfig, index, route } from '@react-router/dev/routes';

export default [
  index('routes/home.tsx'),
  route('healthz', 'routes/healthz.ts'),
  route('readyz', 'routes/readyz.ts'),
  route('sign-in', 'routes/find-list.tsx'),
  route('t/:name', 'routes/tenant.tsx', { id: 'tenant' }, [
    index('routes/list/route.tsx', { id: 'list-all' }),
    route('active', 'routes/list/route.tsx', { id: 'list-active' }),
    route('completed', 'routes/list/route.tsx', { id: 'list-completed' }),
    route('sign-in', 'routes/sign-in.tsx'),
    route('sign-out', 'routes/sign-out.tsx'),
    route('invite/:token', 'routes/invite.tsx'),
    route('reset/:token', 'routes/reset-password.tsx'),
    route('settings', 'routes/settings.tsx'),
    route('account', 'routes/account.tsx'),
    route('members', 'routes/members.tsx'),
    route('export.sqlite', 'routes/export-sqlite.ts'),
    route('export.json', 'routes/export-json.ts'),
  ]),
  route('*', 'routes/not-found.tsx'),
] satisfies RouteConfig;

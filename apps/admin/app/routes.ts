import { index, layout, route, type RouteConfig } from '@react-router/dev/routes';

/**
 * Every route except sign-in and the health probes sits below the `signed-in` layout, whose middleware refuses
 * requests without a session: pages, actions and resource routes alike.
 */
export default [
  route('login', 'routes/login.tsx'),
  // The liveness and readiness probes: no sign-in, no paths.
  route('healthz', 'routes/healthz.ts'),
  route('readyz', 'routes/readyz.ts'),
  layout('routes/signed-in.tsx', [
    index('routes/instances/route.tsx'),
    route('instances.csv', 'routes/instances-list-export.ts', { id: 'instances-csv' }),
    route('instances.json', 'routes/instances-list-export.ts', { id: 'instances-json' }),
    route('import', 'routes/instances-import.ts'),
    route('bulk', 'routes/instances-bulk.ts'),
    route('bulk/export', 'routes/instances-bulk-export.ts'),
    route('overview', 'routes/overview.tsx'),
    route('logout', 'routes/logout.tsx'),
    route('instances/:name', 'routes/instance/route.tsx'),
    route('instances/:name/export', 'routes/instance-export.ts'),
    route('instances/:name/console', 'routes/console.tsx'),
    route('instances/:name/data', 'routes/instance-data/route.tsx'),
    route('query', 'routes/fleet-query/route.tsx'),
    route('query/stream', 'routes/fleet-query-stream.ts'),
    route('query/csv', 'routes/fleet-query-csv.ts'),
    route('saved-queries', 'routes/saved-queries.ts'),
    route('palette', 'routes/palette-search.ts'),
    route('backups', 'routes/backups/route.tsx'),
    route('residency', 'routes/residency/route.tsx'),
    route('residency/report', 'routes/residency-report.ts'),
    route('migrations', 'routes/migrations/route.tsx'),
    route('migrations/run', 'routes/migrations-run.ts'),
    route('audit', 'routes/audit.tsx'),
    route('tokens', 'routes/tokens/route.tsx'),
    route('*', 'routes/not-found.tsx'),
  ]),
] satisfies RouteConfig;

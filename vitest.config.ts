import { fileURLToPath } from 'node:url';
import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// The workspace packages' exports lead consumers to dist/; `@silo/source` leads to the
// TypeScript sources, so tests need no build. Child processes (tsx, the apps' servers) get it
// through NODE_OPTIONS.
const SOURCE_CONDITION = '@silo/source';
// Vitest's own defaults leave out `module` (it may name code Node cannot load, e.g. the AWS SDK's dist-es).
const sourceResolve = { conditions: [SOURCE_CONDITION, ...defaultServerConditions.filter((c) => c !== 'module')], externalConditions: [SOURCE_CONDITION] };
process.env['NODE_OPTIONS'] = `${process.env['NODE_OPTIONS'] ?? ''} --conditions=${SOURCE_CONDITION}`.trim();

/**
 * Five projects, so a run builds and starts only what its files need (`--project <name>`):
 *
 * - unit: the packages' tests that take seconds each (fleet, CLI, web, Turso stand-in); the
 *   fast tier (`npm run test:fast`). A new package test lands here unless listed below.
 * - integration: package tests that crash processes, run the `silo` command as a process or
 *   run a fleet on the Turso stand-in (seconds to tens of seconds each).
 * - apps: the TODO app and the admin console over HTTP; their builds run as this project's
 *   global setup, so no other project waits for them.
 * - browser: the app suites that drive Chromium (Debian's, through playwright-core).
 * - scale: 10,000-instance fleets and the 1,000-instance move (minutes).
 *
 * `npx vitest run` with no project runs all five; `npm test` also runs the TODO app's suites a
 * second time on Turso (scripts/test.mjs).
 */

const INTEGRATION = [
  'packages/fleet/test/crash.test.ts',
  'packages/fleet/test/backup-crash.test.ts',
  'packages/fleet/test/purge-crash.test.ts',
  // Kills query processes and starts them slowly on purpose (ADR 33).
  'packages/fleet/test/query-processes.test.ts',
  // Statements that run until their abort signal stops them (their processes killed).
  'packages/fleet/test/query-abort.test.ts',
  // Loads a 200 MB crafted file into the check process, which stops at its memory limit.
  'packages/fleet/test/check-process.test.ts',
  'packages/fleet/test/check-time-limit.test.ts',
  'packages/fleet/test/concurrency.test.ts',
  'packages/fleet/test/replica-lifetime.test.ts',
  // Kill the creating process at each step of a seeded create.
  'packages/fleet/test/seed.test.ts',
  // Time limits, met on purpose: each case waits out its limit.
  'packages/fleet/test/helper-channel-time-limit.test.ts',
  // Worker threads over files made large on purpose, so a migration takes long enough to watch.
  'packages/fleet/test/migrate-pool.test.ts',
  // Backups broken on purpose (inflating chunks, retention with collection, restores racing purges).
  'packages/fleet/test/backup-restore-probes.test.ts',
  // Every fleet operation on unusual schemas, locally and on the Turso stand-in.
  'packages/fleet/test/unusual-schema.test.ts',
  // Several fleets on one data folder, each with its catalog replica, taken down and rebuilt.
  'packages/fleet/test/catalog-replica.test.ts',
  'packages/fleet/test/move.test.ts',
  'packages/fleet/test/routing-engine.test.ts',
  'packages/fleet/test/turso-fleet.test.ts',
  'packages/fleet/test/turso-bytes.test.ts',
  'packages/fleet/test/turso-sql.test.ts',
  // Imports of files made large on purpose, stopped part-way.
  'packages/fleet/test/import-abort.test.ts',
  'packages/fleet/test/turso-import-abort.test.ts',
  'packages/fleet/test/engine-reachability.test.ts',
  'packages/fleet/test/turso-platform.test.ts',
  'packages/fleet/test/turso-smoke.test.ts',
  // The CLI's own unit tests are format.test.ts; the others run the `silo` command as a process.
  'packages/cli/test/attack-probes.test.ts',
  'packages/cli/test/cli-*.test.ts',
  // Builds every package and installs the tarballs into a fresh folder (npm run pack).
  'packages/cli/test/pack.test.ts',
  // examples/notes from the tarballs: silo, the app and silo-admin as processes (issue #14).
  'examples/notes/test/notes-example.test.ts',
  // docs/guide.md's own code from the tarballs: a project from nothing, its server with plain node.
  'docs/test/guide.test.ts',
  // silo serve over real HTTP on loopback (issue #15).
  'packages/server/test/api.test.ts',
  'packages/server/test/openapi.test.ts',
  'packages/server/test/openapi-conformance.test.ts',
  'packages/server/test/errors.test.ts',
  'packages/server/test/client-gone.test.ts',
  'packages/server/test/libsql*.test.ts', // silo serve's libSQL endpoint over loopback HTTP (issue #15)
  'packages/server/test/turso-user-smoke.test.ts', // the engine contract's data-plane cases: Turso engine → silo serve (issue #15)
];

const SCALE = ['packages/fleet/test/scale.test.ts', 'packages/cli/test/cli-move-scale.test.ts', 'apps/admin/test/ten-thousand.test.ts'];

/** App suites that launch Chromium. */
const BROWSER = [
  'apps/admin/test/accessibility.test.ts',
  'apps/admin/test/backups.test.ts',
  'apps/admin/test/console-page.test.ts',
  'apps/admin/test/data-browser.test.ts',
  'apps/admin/test/e2e.test.ts',
  'apps/admin/test/instances-bulk.test.ts',
  'apps/admin/test/hardening.test.ts',
  'apps/admin/test/libsql-connect.test.ts',
  'apps/admin/test/operator-robustness.test.ts',
  'apps/admin/test/residency.test.ts',
  'apps/todos/test/accounts.test.ts',
  'apps/todos/test/hardening.test.ts',
  'apps/todos/test/limits.test.ts',
  'apps/todos/test/members-settings.test.ts',
  'apps/todos/test/todomvc.test.ts',
  // The published TodoMVC suites, vendored, and axe-core on every page (issue #18).
  'apps/todos/test/todomvc/*.test.ts',
  'apps/todos/test/accessibility.test.ts',
];

/** Playwright's TodoMVC spec imports `@playwright/test`; it runs on playwright-core through this shim. */
const PLAYWRIGHT_TEST_SHIM = fileURLToPath(new URL('./apps/todos/test/todomvc/playwright-test.ts', import.meta.url));

const BUILD_TODOS = 'apps/todos/test/global-setup.ts';
const BUILD_ADMIN = 'apps/admin/test/global-setup.ts';

export default defineConfig({
  // Vitest gives these two environments resolve options of their own (global setup runs in
  // `__vitest__`, test files in `ssr`): the condition goes into each.
  environments: {
    ssr: { resolve: sourceResolve },
    __vitest__: { resolve: sourceResolve },
  },
  test: {
    // Real files and child processes: generous limits, and no timing assertions anywhere.
    testTimeout: 60_000,
    // App suites start their server (and admin suites seed fleets) in beforeAll.
    hookTimeout: 180_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'unit', include: ['packages/*/test/**/*.test.ts', 'deploy/test/deploy-files.test.ts'], exclude: [...INTEGRATION, ...SCALE] } },
      { extends: true, test: { name: 'integration', include: INTEGRATION, exclude: SCALE } },
      {
        extends: true,
        // deploy/test: the container's entrypoint serves the built TODO app (issue #16), and a
        // real Prometheus scrapes it with the alert rules loaded.
        test: { name: 'apps', include: ['apps/*/test/**/*.test.ts', 'deploy/test/container.test.ts', 'deploy/test/prometheus.test.ts'], exclude: [...BROWSER, ...SCALE], globalSetup: [BUILD_TODOS, BUILD_ADMIN] },
      },
      {
        extends: true,
        test: { name: 'browser', include: BROWSER, globalSetup: [BUILD_TODOS, BUILD_ADMIN], alias: { '@playwright/test': PLAYWRIGHT_TEST_SHIM } },
      },
      { extends: true, test: { name: 'scale', include: SCALE, globalSetup: [BUILD_ADMIN] } },
    ],
  },
});

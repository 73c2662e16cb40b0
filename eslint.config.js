import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', 'data/**', '**/.tmp/**', '**/build/**', '**/.react-router/**', '**/dist/**', 'dist-packages/**', 'apps/admin/server.mjs', '.ci/**'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    rules: { '@typescript-eslint/consistent-type-imports': 'off' },
  },
  {
    // The engine seam (issue #19): src/engine.ts is the interface, and engines/ holds the
    // engines. Outside engines/, fleet code may import exactly four modules of it:
    //  - engines/open-engine: the factory, and the engine classes for code that builds or
    //    recognises one (the package index, silo move);
    //  - engines/turso-config: the Turso settings, parsed by config.ts before any engine exists;
    //  - engines/turso-shared: the Turso client pieces used by code that talks to Turso without
    //    being a tenant engine (the catalog on Turso, the residency report, silo move);
    //  - engines/check-process: the process SQLite files are checked in (an import's
    //    validation, which lives here, and the integrity check backups run on their points).
    // Everything else there is one engine's internals. Shared file and SQLite primitives live
    // outside engines/ (files.ts, sqlite-files.ts), so nothing needs to reach in for them.
    // Tests are exempt: unit tests of an engine's parts import those parts on purpose.
    files: ['packages/fleet/src/**/*.ts'],
    ignores: ['packages/fleet/src/engines/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/engines/*', '!**/engines/open-engine', '!**/engines/turso-config', '!**/engines/turso-shared', '!**/engines/check-process'],
              message: "An engine's internals: go through src/engine.ts (types), engines/open-engine.ts, or the neutral files.ts / sqlite-files.ts.",
            },
          ],
        },
      ],
    },
  },
);

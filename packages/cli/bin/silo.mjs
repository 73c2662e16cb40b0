#!/usr/bin/env node
// The `silo` command. Installed from npm it runs the built JavaScript in dist/; inside the
// monorepo (the sources are there) tsx compiles the TypeScript sources on the fly.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = new URL('../src/main.ts', import.meta.url);

if (existsSync(fileURLToPath(source))) {
  const { registerHooks } = await import('node:module');
  const { register } = await import('tsx/esm/api');
  // The workspace packages' exports point consumers at dist/; the `@silo/source` condition
  // points at their TypeScript sources instead, so no build is needed to run from the repo.
  registerHooks({
    resolve: (specifier, context, nextResolve) =>
      nextResolve(specifier, { ...context, conditions: [...context.conditions, '@silo/source'] }),
  });
  register();
  await import(source.href);
} else {
  await import(new URL('../dist/main.mjs', import.meta.url).href);
}

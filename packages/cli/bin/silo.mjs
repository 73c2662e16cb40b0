#!/usr/bin/env node
// The `silo` command. There is no build step: tsx compiles the TypeScript sources on the fly.
import { register } from 'tsx/esm/api';

register();
// A computed URL, so the type checker does not ask for `allowImportingTsExtensions`.
await import(new URL('../src/main.ts', import.meta.url).href);

#!/usr/bin/env node
// `silo-admin`: the console's server from the built files (npm run build -w @silo/admin).
await import(new URL('../server.mjs', import.meta.url).href);

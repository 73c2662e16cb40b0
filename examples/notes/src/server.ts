// Starts the notes app: `node src/server.ts` (Node strips the types). PORT (default 8787, 0 for
// any free port) and HOST (default 127.0.0.1) say where it listens.
import { serve } from '@hono/node-server';
import { loadSiloConfig, openFleet } from '@silo/fleet';
import { notesApp } from './app.ts';

// The nearest silo.config.ts, with SILO_* variables over it: the same file `silo` and `silo-admin` read.
const config = await loadSiloConfig();
const fleet = await openFleet({ ...config.fleet, actor: 'notes-app' });

const port = Number(process.env['PORT'] ?? 8787);
if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`PORT: "${process.env['PORT']}" is not a port number.`);
const hostname = process.env['HOST'] ?? '127.0.0.1';

const server = serve({ fetch: notesApp(fleet).fetch, port, hostname }, (info) => {
  console.log(`notes: listening on http://${hostname}:${info.port}`);
});

function shutdown(): void {
  // The fleet closes last, writing the metrics still buffered for the catalog.
  server.close(() => void fleet.close().then(() => process.exit(0)));
}
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);

import type { Command } from 'commander';
import { SiloError } from '@silo/fleet';
import { readSetting } from '@silo/fleet/internal';
import { withFleet, type CliContext } from '../context';
import { CliFailure, EXIT } from '../errors';
import { integerOption } from '../options';
import { examples } from '../help';

interface ServeOptions {
  host: string;
  port?: number;
  dbHost?: string;
}

/** `silo serve`: the fleet's HTTP API (REST under /v1, the libSQL endpoint under /db) until stopped. */
export function registerServe(program: Command, ctx: CliContext): void {
  const serve = program
    .command('serve')
    .summary('serve the fleet over HTTP (REST API + libSQL endpoint)')
    .description('serve the fleet over HTTP: the REST API under /v1 (OpenAPI at /v1/openapi.json) and the libSQL endpoint under /db; callers need a token from `silo token create`')
    .option('--host <host>', 'address to listen on (another than loopback exposes the fleet to the network)', '127.0.0.1')
    .option('--port <port>', 'port to listen on (default 7070; 0: any free one)', integerOption(0, 65_535))
    .option('--db-host <suffix>', 'also serve instance acme at acme.<suffix> (libsql:// URLs behind a TLS proxy)')
    .action(async (options: ServeOptions, cmd: Command) => {
      // Loaded here, not at the top: every other command starts without the HTTP stack.
      const { createServer, DEFAULT_PORT } = await import('@silo/server');
      const { createLogger, parseTrustProxy } = await import('@silo/web');
      // The proxy in front of the apps is in front of `silo serve` too (deploy/silo.env.example):
      // its X-Forwarded-For names the client for the failed-authentication limit and /readyz.
      const trustProxy = (() => {
        try {
          return parseTrustProxy(readSetting(process.env, 'SILO_TRUST_PROXY'));
        } catch (error) {
          throw new SiloError('CONFIG_INVALID', `SILO_TRUST_PROXY: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
        }
      })();
      // One access-log line per request (route pattern, status, duration, token id), JSON unless a terminal.
      const log = createLogger({ app: 'silo-serve', level: readSetting(process.env, 'LOG_LEVEL') ?? 'info' });
      const drainMs = readSetting(process.env, 'SILO_SHUTDOWN_DRAIN_MS') ?? 0;
      await withFleet(ctx, cmd, async (fleet) => {
        const server = await createServer({
          fleet,
          log,
          trustProxy,
          host: options.host,
          shutdownDrainMs: drainMs,
          shutdownTimeoutMs: readSetting(process.env, 'SILO_SHUTDOWN_TIMEOUT_MS'),
          ...(options.port === undefined ? {} : { port: options.port }),
          ...(options.dbHost ? { dbHostSuffix: options.dbHost } : {}),
        }).catch((error: unknown) => {
          throw cannotListen(error, options.host, options.port ?? DEFAULT_PORT);
        });
        ctx.output.print(`silo serve: listening on ${server.url} (OpenAPI: ${server.url}/v1/openapi.json)`);
        // A second signal, with no listener left, ends the process at once (as the apps' does).
        const signal = await new Promise<NodeJS.Signals>((resolve) => {
          const stop = (received: NodeJS.Signals): void => {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            resolve(received);
          };
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
        ctx.output.note(
          drainMs > 0
            ? `silo serve: ${signal}: /readyz fails from now; answering as usual for ${drainMs} ms, then finishing the requests in flight and stopping`
            : `silo serve: ${signal}: finishing the requests in flight, then stopping`,
        );
        const { cut } = await server.close();
        if (cut > 0) ctx.output.note(`silo serve: the shutdown deadline (SILO_SHUTDOWN_TIMEOUT_MS) cut ${cut} request(s) still in flight`);
      }, { createsFleet: true });
    });
  examples(serve, ['silo serve', 'silo serve --port 8080', 'silo serve --host 0.0.0.0  # behind a TLS proxy only']);
}

/** What a person can act on when the server cannot listen (the port is taken, the address is not this machine's), else the error itself. */
function cannotListen(error: unknown, host: string, port: number): unknown {
  const reasons: Record<string, string> = {
    EADDRINUSE: `port ${port} is in use by another program; choose another with --port (0: any free one)`,
    EACCES: `port ${port} needs privileges this user does not have; choose one above 1023 with --port`,
    EADDRNOTAVAIL: `${host} is not an address of this machine; check --host`,
    ENOTFOUND: `${host} is not a host name or address this machine knows; check --host`,
  };
  const code = (error as { code?: unknown } | undefined)?.code;
  const reason = typeof code === 'string' ? reasons[code] : undefined;
  return reason === undefined ? error : new CliFailure(`silo serve cannot listen on ${host}:${port}: ${reason}.`, EXIT.failed, 'LISTEN_FAILED');
}

/**
 * Runs the stand-in as a process of its own (see standin-process.ts):
 *
 *   node --import tsx packages/turso-standin/src/serve.ts '<options as JSON>'
 *
 * Prints one JSON line `{ platformUrl, org, apiToken }` once listening, and stops on SIGTERM.
 */
import { startTursoStandin, type TursoStandinOptions } from './standin';

const options = JSON.parse(process.argv[2] ?? '{}') as TursoStandinOptions;
const standin = await startTursoStandin(options);
process.stdout.write(`${JSON.stringify({ platformUrl: standin.platformUrl, org: standin.org, apiToken: standin.apiToken })}\n`);
const stop = (): void => {
  void standin.close().finally(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);

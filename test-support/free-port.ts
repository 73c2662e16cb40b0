import { createServer } from 'node:net';

/**
 * A loopback port nobody listens on at this moment, for a program that must be given a port
 * number (it cannot be told 0 and asked which one it took). Another process could take it
 * before the program does; tests start the program right after.
 */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('The probe server has no port.');
  return address.port;
}

import { createServer } from 'node:net';

/**
 * A loopback port nobody listens on at this moment, for a program that must be given a port
 * number (it cannot be told 0 and asked which one it took). Another process could take it
 * before the program does: withFreePort starts the program again on another port then.
 */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('The probe server has no port.');
  return address.port;
}

/** What a program's start rejects with when its port was taken between freePort() and its own bind. */
export class PortTaken extends Error {}

/**
 * Starts a program on a port from freePort(): `start(port)` resolves once the program listens,
 * or rejects with PortTaken when another process bound the port first, and is then called again
 * with another port, up to `attempts` times. `pickPort` stands in for freePort (a test of the
 * retry hands out a taken port first).
 */
export async function withFreePort<T>(start: (port: number) => Promise<T>, options: { attempts?: number; pickPort?: () => Promise<number> } = {}): Promise<T> {
  const { attempts = 5, pickPort = freePort } = options;
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(await pickPort());
    } catch (error) {
      if (!(error instanceof PortTaken) || attempt >= attempts) throw error;
    }
  }
}

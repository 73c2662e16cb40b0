import type { IncomingMessage } from 'node:http';
import proxyAddr from 'proxy-addr';
import { z } from 'zod';

/**
 * Which reverse proxies in front of a server are believed (`SILO_TRUST_PROXY`):
 * - `0`/`false`/empty: none; the client is the socket's peer, X-Forwarded-* are ignored.
 * - `1`/`true`, or a count N: the last N hops are proxies (the app is reachable only through them).
 * - a comma list of addresses, CIDR ranges or `loopback`/`linklocal`/`uniquelocal`: hops from
 *   those addresses are proxies; X-Forwarded-* count only when the socket's peer is one of them.
 */
export type TrustProxy = { readonly kind: 'none' } | { readonly kind: 'hops'; readonly hops: number } | { readonly kind: 'addresses'; readonly addresses: readonly string[] };

export const NO_PROXY: TrustProxy = { kind: 'none' };

/** Parses a `SILO_TRUST_PROXY` value; throws with a message naming what is wrong. */
export function parseTrustProxy(value: string | undefined): TrustProxy {
  const text = (value ?? '').trim().toLowerCase();
  if (text === '' || text === '0' || text === 'false') return NO_PROXY;
  if (text === 'true') return { kind: 'hops', hops: 1 };
  if (/^\d+$/.test(text)) {
    const hops = Number(text);
    if (hops > 32) throw new Error(`${text} proxy hops is not plausible (at most 32)`);
    return { kind: 'hops', hops };
  }
  const addresses = text.split(',').map((item) => item.trim()).filter(Boolean);
  try {
    // proxy-addr validates every address and range here, so a typo fails at start-up.
    proxyAddr.compile(addresses);
  } catch (error) {
    throw new Error(`not a hop count or a list of proxy addresses: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return { kind: 'addresses', addresses };
}

/** A zod schema for the setting, for the apps' config.server.ts. */
export const trustProxySchema = z
  .string()
  .optional()
  .transform((value, ctx) => {
    try {
      return parseTrustProxy(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
      return z.NEVER;
    }
  });

type TrustFunction = (address: string, hop: number) => boolean;

const trustFunctions = new WeakMap<TrustProxy, TrustFunction>();

function trustFunction(trust: TrustProxy): TrustFunction {
  let fn = trustFunctions.get(trust);
  if (!fn) {
    if (trust.kind === 'none') fn = () => false;
    else if (trust.kind === 'hops') {
      const hops = trust.hops;
      fn = (_address, hop) => hop < hops;
    } else fn = proxyAddr.compile([...trust.addresses]);
    trustFunctions.set(trust, fn);
  }
  return fn;
}

/** What a request says about where it came from, after deciding which proxies to believe. */
export interface Forwarded {
  /** The client's address: the right-most hop no trusted proxy vouches for. */
  readonly clientAddress: string;
  readonly protocol: 'http' | 'https';
  /** The Host the client asked for (`host[:port]`), or undefined when none was sent. */
  readonly host: string | undefined;
}

/**
 * The client address, protocol and host of a request. X-Forwarded-For is read from the right:
 * each trusted proxy appended the peer it saw, so the first address from the right that no
 * trusted proxy sent is the client, and whatever a client wrote to the left of it is ignored
 * (proxy-addr, the module Express uses). X-Forwarded-Proto and -Host are taken from the
 * nearest proxy (the right-most value), and only when the socket's peer is a trusted proxy.
 */
/** Whether the request came straight from a proxy this server trusts (so its X-* headers count). */
export function fromTrustedProxy(req: IncomingMessage, trust: TrustProxy): boolean {
  const socketAddress = req.socket.remoteAddress;
  return trust.kind !== 'none' && socketAddress !== undefined && trustFunction(trust)(socketAddress, 0);
}

export function forwardedFor(req: IncomingMessage, trust: TrustProxy): Forwarded {
  const encrypted = 'encrypted' in req.socket && req.socket.encrypted === true;
  const socketAddress = req.socket.remoteAddress ?? 'unknown';
  const direct: Forwarded = { clientAddress: normalizeAddress(socketAddress), protocol: encrypted ? 'https' : 'http', host: req.headers.host };
  if (!fromTrustedProxy(req, trust)) return direct;
  const fn = trustFunction(trust);
  const proto = lastValue(req.headers['x-forwarded-proto'])?.toLowerCase();
  return {
    clientAddress: normalizeAddress(proxyAddr(req, fn)),
    protocol: proto === 'https' || proto === 'http' ? proto : direct.protocol,
    host: lastValue(req.headers['x-forwarded-host']) ?? direct.host,
  };
}

function lastValue(header: string | string[] | undefined): string | undefined {
  const joined = Array.isArray(header) ? header.join(',') : header;
  const values = (joined ?? '').split(',').map((value) => value.trim()).filter(Boolean);
  return values[values.length - 1];
}

/** `::ffff:10.0.0.1` and `10.0.0.1` are one client for rate limits. */
function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice('::ffff:'.length) : address;
}

import { isIP } from 'node:net';
import { z } from 'zod';

/**
 * The Host names a server answers for (`SILO_ALLOWED_HOSTS`, `ADMIN_ALLOWED_HOSTS`).
 *
 * A DNS-rebinding page is served from the attacker's name, which is then pointed at
 * 127.0.0.1: the browser sends `Host: attacker.example` to the loopback server, and treats the
 * answers as same-origin for the attacker. Refusing unknown Host values stops that.
 *
 * Entries are `host` (any port) or `host:port` (`[::1]:3001` for IPv6). `*` allows any host.
 */
export interface AllowedHosts {
  /** True when `host` (a Host header value) may be served. */
  allows(host: string | undefined): boolean;
  /** The setting's name, for messages. */
  readonly setting: string;
  /** For messages: the setting and what it holds. */
  describe(): string;
}

interface Entry {
  readonly hostname: string;
  readonly port: string | undefined;
}

/** Parses a comma list of `host[:port]`; throws naming a bad entry. */
export function parseHostList(value: string): string[] {
  const entries = value.split(',').map((item) => item.trim().toLowerCase()).filter(Boolean);
  for (const entry of entries) {
    if (entry !== '*' && parseHost(entry) === undefined) throw new Error(`"${entry}" is not a host or host:port`);
  }
  return entries;
}

/** A zod schema for the setting, for the apps' config.server.ts (undefined: the default). */
export const allowedHostsSchema = z
  .string()
  .optional()
  .transform((value, ctx) => {
    if (value === undefined || value.trim() === '') return undefined;
    try {
      return parseHostList(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
      return z.NEVER;
    }
  });

function parseHost(value: string): Entry | undefined {
  if (/[\s/\\?#@]/.test(value)) return undefined;
  let url: URL;
  try {
    url = new URL(`http://${value}`);
  } catch {
    return undefined;
  }
  // The URL parser accepts more than a Host header should carry (userinfo, paths): compare back.
  const port = url.port || (/:80$/.test(value) ? '80' : undefined);
  if (`${url.hostname}${port !== undefined ? `:${port}` : ''}` !== value) return undefined;
  return { hostname: url.hostname, port };
}

/** A Host without a port is the scheme's default port: 80, or 443 behind a TLS proxy. */
function portMatches(expected: string | undefined, given: string | undefined): boolean {
  if (expected === undefined || expected === given) return true;
  return given === undefined && (expected === '80' || expected === '443');
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\./.test(host);
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]';
}

/**
 * The allow-list for a server listening on `listenHost`; `port()` is the port it listens on
 * (read per check, so PORT=0 works: the caller keeps it cheap).
 *
 * Without a setting:
 * - on a loopback address: `localhost`, `127.0.0.1` and `[::1]` with the port;
 * - on every interface (`0.0.0.0`, `::`): `localhost` with the port and any IP address
 *   literal (with the port), never a DNS name. Rebinding needs a name the attacker controls,
 *   so an address literal is safe; a server reached by a name must list it.
 * - on one other address: that address with the port.
 */
export function allowedHosts(options: { setting: string; entries: readonly string[] | undefined; listenHost: string; port: () => number }): AllowedHosts {
  const { setting, entries, listenHost, port } = options;
  const list = entries !== undefined ? configuredList(setting, entries) : defaultList(setting, listenHost, port);
  // A server sees few Host values, and parsing one (a URL) is a few µs on every request.
  // Decisions are remembered per value, up to a bound: random values sent to fill it are
  // still answered, just worked out each time.
  const decisions = new Map<string, boolean>();
  return {
    ...list,
    allows(host) {
      if (host === undefined) return false;
      const key = `${port()} ${host}`;
      let allowed = decisions.get(key);
      if (allowed === undefined) {
        allowed = list.allows(host);
        if (decisions.size < MAX_REMEMBERED_HOSTS) decisions.set(key, allowed);
      }
      return allowed;
    },
  };
}

const MAX_REMEMBERED_HOSTS = 64;

function configuredList(setting: string, entries: readonly string[]): AllowedHosts {
  const parsed = entries.map((entry) => (entry === '*' ? ('*' as const) : parseHost(entry)));
  return {
    allows(host) {
      if (parsed.includes('*')) return true;
      const wanted = host === undefined ? undefined : parseHost(host.toLowerCase());
      if (!wanted) return false;
      return parsed.some((entry) => entry !== '*' && entry !== undefined && entry.hostname === wanted.hostname && portMatches(entry.port, wanted.port));
    },
    setting,
    describe: () => `${setting}=${entries.join(',')}`,
  };
}

function defaultList(setting: string, listenHost: string, port: () => number): AllowedHosts {
  const listen = listenHost.toLowerCase();
  const literalAddresses = isWildcard(listen);
  const names = isLoopback(listen) ? LOOPBACK_NAMES : literalAddresses ? ['localhost'] : [isIP(listen) === 6 ? `[${listen}]` : listen];
  return {
    allows(host) {
      const wanted = host === undefined ? undefined : parseHost(host.toLowerCase());
      if (!wanted || !portMatches(String(port()), wanted.port)) return false;
      if (names.includes(wanted.hostname)) return true;
      return literalAddresses && isIP(wanted.hostname.replace(/^\[|\]$/g, '')) !== 0;
    },
    setting,
    describe: () =>
      `${setting} is not set, so only ${literalAddresses ? 'localhost and IP addresses' : names.join(', ')} on port ${port()} are served`,
  };
}

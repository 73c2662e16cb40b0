import net from 'node:net';
/** Small fetch helpers for tests that do not need a browser. */
export const PASSWORD = 'correct horse battery';

export interface Reply {
  status: number;
  location: string | null;
  cookie: string | undefined;
  body: string;
  headers: Headers;
}

async function reply(response: Response): Promise<Reply> {
  const setCookie = response.headers.getSetCookie().find((value) => value.startsWith('silo_session=') && !/Path=[^;]*\.data/.test(value));
  return {
    status: response.status,
    location: response.headers.get('location'),
    cookie: setCookie?.split(';')[0],
    body: await response.text(),
    headers: response.headers,
  };
}

export async function get(base: string, path: string, cookie?: string, extraHeaders: Record<string, string> = {}): Promise<Reply> {
  return reply(await fetch(new URL(path, base), { redirect: 'manual', headers: { ...(cookie ? { cookie } : {}), ...extraHeaders } }));
}

export async function post(
  base: string,
  path: string,
  fields: Record<string, string>,
  options: { cookie?: string | undefined; origin?: string | null; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', ...options.headers };
  const origin = options.origin === undefined ? new URL(base).origin : options.origin;
  if (origin !== null) headers['origin'] = origin;
  if (options.cookie) headers['cookie'] = options.cookie;
  return reply(await fetch(new URL(path, base), { method: 'POST', redirect: 'manual', headers, body: new URLSearchParams(fields) }));
}

let counter = 0;

/** A fresh valid list name per call. */
export function uniqueName(prefix = 'list'): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}`;
}

export function createFields(name: string, overrides: Record<string, string> = {}): Record<string, string> {
  return { name, email: `owner@${name}.test`, password: PASSWORD, jurisdiction: 'eu', nonce: `nonce-${name}`, ...overrides };
}

/** Creates a list over HTTP and returns the owner's session cookie. */
export async function createList(base: string, name: string, overrides: Record<string, string> = {}): Promise<string> {
  const result = await post(base, '/?index', createFields(name, overrides));
  if (result.status !== 302 || !result.cookie) throw new Error(`Creating ${name} failed: ${result.status} ${result.body.slice(0, 500)}`);
  return result.cookie;
}

export function csrfFrom(html: string): string {
  const match = /name="csrf" value="([^"]+)"/.exec(html);
  if (!match?.[1]) throw new Error('No CSRF token on the page.');
  return match[1];
}

/** A socket of its own to the server at `base`, for requests `fetch` cannot send (half a body, a trickle): what it received, and when it closed. */
export function rawSocket(base: string): { socket: net.Socket; received(): string; closed: Promise<void> } {
  const socket = net.connect(Number(new URL(base).port), '127.0.0.1');
  let received = '';
  socket.setEncoding('latin1').on('data', (chunk: string) => (received += chunk));
  // A server that resets the connection ends it as well: the test reads what arrived.
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { socket, received: () => received, closed };
}

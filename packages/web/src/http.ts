import { isUtf8 } from 'node:buffer';
import { randomBytes } from 'node:crypto';

/** A fresh CSP nonce: 128 random bits, base64 (a new one for every response). */
export function createNonce(): string {
  return randomBytes(16).toString('base64');
}

/**
 * Headers every response of both apps carries, set by the request listener before anything
 * else runs, so no response (React Router's own 400/405, a static file, a refused Host) lacks
 * them. Scripts run only from this origin or with this response's nonce: an injected inline
 * script has no nonce and is blocked. Styles come from this origin or from style elements
 * with the nonce (CodeMirror's themes, given the nonce); inline `style` attributes are blocked,
 * so server-rendered markup has none (styles React sets after hydration go through the CSSOM,
 * which CSP does not restrict).
 */
export function securityHeaders(nonce: string): Readonly<Record<string, string>> {
  return {
    'Content-Security-Policy': [
      "default-src 'self'",
      `script-src 'self' 'nonce-${nonce}'`,
      `style-src 'self' 'nonce-${nonce}'`,
      "img-src 'self' data:",
      "connect-src 'self'",
      "object-src 'none'",
      "frame-ancestors 'none'",
      "base-uri 'self'",
      "form-action 'self'",
    ].join('; '),
    'X-Frame-Options': 'DENY',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'same-origin',
    'Permissions-Policy': 'camera=(), microphone=(), geolocation=()',
    'Cross-Origin-Opener-Policy': 'same-origin',
  };
}

/**
 * Reads a form body, refusing it with 413 once it passes `maxBytes` (counted while reading,
 * so a lying or missing Content-Length does not help), and with 400 when a field is not UTF-8:
 * a URL-encoded form's names and values, a multipart form's names and text fields (not its
 * files). A browser always sends UTF-8; the parser would store U+FFFD in place of the bytes.
 */
export async function readForm(request: Request, maxBytes: number, options: { arrivalLimitMs?: number } = {}): Promise<FormData> {
  const bytes = await readBodyCapped(request, maxBytes, { arrivalLimitMs: options.arrivalLimitMs ?? FORM_ARRIVAL_LIMIT_MS });
  if (bytes === undefined) throw tooLarge(maxBytes);
  if (bytes.byteLength === 0 && !request.body) return new FormData();
  const type = request.headers.get('content-type') ?? 'application/x-www-form-urlencoded';
  if (/^application\/x-www-form-urlencoded\b/i.test(type) && !isUtf8Form(bytes)) throw notUtf8();
  const form = await parseForm(request.url, type, bytes);
  // Parsing again only when a U+FFFD shows: it may also have been typed as such.
  if (/^multipart\/form-data\b/i.test(type) && hasReplacement(form)) {
    if (hasReplacement(await parseForm(request.url, type, withoutEncodedReplacement(bytes)))) throw notUtf8();
  }
  return form;
}

async function parseForm(url: string, type: string, bytes: Buffer): Promise<FormData> {
  const body = new Request(url, { method: 'POST', headers: { 'content-type': type }, body: new Uint8Array(bytes) });
  try {
    return await body.formData();
  } catch {
    throw new Response('The form could not be read.', { status: 400 });
  }
}

function notUtf8(): Response {
  return new Response('The form is not valid UTF-8.', { status: 400 });
}

/** Every name and value of a URL-encoded body is UTF-8 once its %XX escapes are decoded. */
function isUtf8Form(bytes: Buffer): boolean {
  if (!isUtf8(bytes)) return false;
  try {
    for (const part of bytes.toString('utf8').split(/[&=]/)) decodeURIComponent(part.replace(/\+/g, ' '));
    return true;
  } catch {
    return false;
  }
}

/** Whether a name or a text value holds U+FFFD (a file's bytes are not text, and not looked at). */
function hasReplacement(form: FormData): boolean {
  for (const [name, value] of form) {
    if (name.includes('\uFFFD') || (typeof value === 'string' && value.includes('\uFFFD'))) return true;
  }
  return false;
}

const ENCODED_REPLACEMENT = Buffer.from('\uFFFD', 'utf8');
const ENCODED_PRIVATE_USE = Buffer.from('\uE000', 'utf8');

/**
 * The body with each U+FFFD sent as such (its bytes EF BF BD, always one whole character: EF
 * is never a continuation byte) changed to U+E000, which is as long. The parser decodes a
 * text part's invalid bytes to U+FFFD, so a U+FFFD among this copy's fields came from invalid
 * bytes, not from a user who typed one. Only non-ASCII bytes change, and a boundary is ASCII:
 * the copy has the same parts.
 */
function withoutEncodedReplacement(bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes);
  for (let at = copy.indexOf(ENCODED_REPLACEMENT); at !== -1; at = copy.indexOf(ENCODED_REPLACEMENT, at + ENCODED_REPLACEMENT.length)) {
    ENCODED_PRIVATE_USE.copy(copy, at);
  }
  return copy;
}

/**
 * How long a form may take to arrive whole. A server whose other requests stream for long (the
 * admin's uploads: node:http's request timeout is an hour there) would otherwise let a client
 * trickle a sign-in form for that long, holding its connection; a form of a few kilobytes takes
 * seconds on the slowest link.
 */
const FORM_ARRIVAL_LIMIT_MS = 60_000;

/**
 * A request body of at most `maxBytes`, or undefined once it passes them: a declared
 * Content-Length is checked first, and the bytes are counted as they arrive, so a chunked
 * body without one is cut off at the limit instead of being held whole in memory. With
 * `arrivalLimitMs`, a body still arriving after that long is refused with a 408 Response.
 */
export async function readBodyCapped(request: Request, maxBytes: number, options: { arrivalLimitMs?: number } = {}): Promise<Buffer | undefined> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > maxBytes) return undefined;
  if (!request.body) return Buffer.alloc(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let timer: NodeJS.Timeout | undefined;
  const late =
    options.arrivalLimitMs === undefined ? undefined : new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), options.arrivalLimitMs)));
  try {
    for (;;) {
      const reading = reader.read();
      // Released below with this read pending, which then rejects: nobody waits for it.
      reading.catch(() => undefined);
      const next = await (late ? Promise.race([reading, late]) : reading);
      if (next === 'late') {
        // As for a body too large: the server drops what still comes after the answer.
        reader.releaseLock();
        throw tooSlow();
      }
      if (next.done) break;
      total += next.value.byteLength;
      if (total > maxBytes) {
        // Not cancel(): that destroys the socket before the 413 reaches the client. The server
        // drops the rest of the body after responding (discardUnreadBodyAfterResponse).
        reader.releaseLock();
        return undefined;
      }
      chunks.push(next.value);
    }
  } finally {
    clearTimeout(timer);
  }
  return Buffer.concat(chunks);
}

function tooSlow(): Response {
  return new Response('The request body took too long to arrive and was refused.', {
    status: 408,
    headers: { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' },
  });
}

function tooLarge(maxBytes: number): Response {
  return new Response(`The request is larger than ${maxBytes} bytes and was refused.`, {
    status: 413,
    headers: { 'Content-Type': 'text/plain; charset=utf-8' },
  });
}

/** Cookie attributes for session cookies: never readable by scripts, not sent cross-site. */
export function sessionCookieOptions(options: { secure: boolean; path?: string; maxAgeSec: number }) {
  return {
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: options.secure,
    path: options.path ?? '/',
    maxAge: options.maxAgeSec,
  };
}

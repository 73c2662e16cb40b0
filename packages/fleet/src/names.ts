import { SiloError } from './errors';
import { unsafeCharPattern } from './unsafe-text';

/**
 * Instance names become URLs (`/t/<name>`) and file names, so they are an allowlist,
 * never a path: lowercase ASCII letters, digits and single hyphens, 3–63 characters.
 * Double hyphens are refused so a name can never look like punycode (`xn--`).
 */
export const NAME_MIN_LENGTH = 3;
export const NAME_MAX_LENGTH = 63;

/** Without lookarounds, so JSON Schema tools (the API's OpenAPI document) can use it as is. */
export const NAME_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** Names that collide with routes, tooling or platform words. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set([
  'admin', 'administrator', 'api', 'app', 'apps', 'assets', 'auth', 'billing', 'blog',
  'catalog', 'con', 'create', 'dashboard', 'default', 'docs', 'help', 'health', 'healthz',
  'internal', 'login', 'logout', 'mail', 'metrics', 'new', 'null', 'nul', 'prn', 'aux',
  'public', 'root', 'settings', 'signin', 'signout', 'signup', 'silo', 'static', 'status',
  'support', 'system', 'template', 'templates', 'tenant', 'tenants', 'test', 'tmp',
  'undefined', 'www',
]);

export function validateName(input: unknown): string {
  if (typeof input !== 'string' || input.length === 0) {
    throw invalid(input, 'A name is required: 3–63 lowercase letters, digits or hyphens.');
  }
  const nonAscii = [...input].find((ch) => !/^[\x20-\x7e]$/.test(ch));
  if (nonAscii !== undefined) {
    const codePoint = nonAscii.codePointAt(0)?.toString(16).toUpperCase().padStart(4, '0');
    // A control or format character is not echoed: it would act on whatever shows the message.
    throw invalid(
      input,
      unsafeCharPattern().test(nonAscii)
        ? `Names may only use a–z, 0–9 and "-"; found the control or invisible character U+${codePoint}.`
        : `Names may only use a–z, 0–9 and "-"; found "${nonAscii}" (U+${codePoint}), which only looks like one of them.`,
    );
  }
  if (input.length < NAME_MIN_LENGTH || input.length > NAME_MAX_LENGTH) {
    throw invalid(input, `A name must be ${NAME_MIN_LENGTH}–${NAME_MAX_LENGTH} characters long; "${truncate(input)}" has ${input.length}.`);
  }
  if (!NAME_PATTERN.test(input)) {
    throw invalid(
      input,
      `"${truncate(input)}" is not a valid name: use lowercase a–z, 0–9 and single hyphens, starting and ending with a letter or digit.`,
    );
  }
  if (RESERVED_NAMES.has(input)) {
    throw invalid(input, `"${input}" is reserved; choose another name.`);
  }
  return input;
}

function invalid(input: unknown, message: string): SiloError {
  return new SiloError('INVALID_NAME', message, { details: { name: typeof input === 'string' ? truncate(input) : input } });
}

function truncate(value: string): string {
  return value.length > 80 ? `${value.slice(0, 77)}...` : value;
}

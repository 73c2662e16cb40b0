import { styleText } from 'node:util';

/** Text styles for terminal output; every function is the identity when colour is off. */
export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

const identity = (text: string): string => text;

/** No colour at all: for pipes, files, NO_COLOR and tests of the formatters. */
export const plain: Style = { bold: identity, dim: identity, red: identity, green: identity, yellow: identity, cyan: identity };

interface MaybeTty {
  isTTY?: boolean;
  hasColors?: () => boolean;
}

/**
 * Colour only on a terminal that supports it, and never when NO_COLOR is set (any non-empty
 * value, per no-color.org) or TERM is "dumb". `hasColors()` also honours FORCE_COLOR.
 */
export function colorEnabled(stream: MaybeTty, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env['NO_COLOR']) return false;
  if (stream.isTTY !== true) return false;
  if (env['TERM'] === 'dumb') return false;
  return typeof stream.hasColors === 'function' ? stream.hasColors() : true;
}

export function styleFor(stream: MaybeTty, env: NodeJS.ProcessEnv = process.env): Style {
  if (!colorEnabled(stream, env)) return plain;
  // The decision is made above, for the stream the text is written to; styleText must not re-check stdout.
  const paint =
    (format: Parameters<typeof styleText>[0]) =>
    (text: string): string =>
      styleText(format, text, { validateStream: false });
  return { bold: paint('bold'), dim: paint('dim'), red: paint('red'), green: paint('green'), yellow: paint('yellow'), cyan: paint('cyan') };
}

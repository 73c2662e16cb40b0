import { z } from 'zod';

/**
 * What a setting's raw value (an environment variable, trimmed, never empty) must look like:
 * the text people read (in the README, `silo --help` and the start-up error) and the parser
 * that enforces it. Both come from one constructor, so the documented rule is the checked one.
 */
export interface Rule<T> {
  /** Completes "SILO_X must be …": "an integer from 1 to 64", `"on" or "off"`. */
  readonly text: string;
  /** Parses the raw value, failing with `text` as the message. */
  readonly schema: z.ZodType<T, string>;
}

/** A rule from its text and a parser that returns undefined for a value it refuses. */
export function rule<T>(text: string, parse: (raw: string) => T | undefined): Rule<T> {
  const schema = z.string().transform((raw, ctx) => {
    const value = parse(raw);
    if (value === undefined) {
      ctx.addIssue({ code: 'custom', message: text });
      return z.NEVER;
    }
    return value;
  });
  return { text, schema };
}

function bounds(min: number, max: number | undefined): string {
  return max === undefined ? `≥ ${min}` : `from ${min} to ${max}`;
}

export function integer(min: number, max?: number): Rule<number> {
  return rule(`an integer ${bounds(min, max)}`, (raw) => {
    const value = Number(raw);
    return Number.isInteger(value) && value >= min && (max === undefined || value <= max) ? value : undefined;
  });
}

export function decimal(min: number, max?: number): Rule<number> {
  return rule(`a number ${bounds(min, max)}`, (raw) => {
    const value = Number(raw);
    return Number.isFinite(value) && value >= min && (max === undefined || value <= max) ? value : undefined;
  });
}

export function oneOf<const T extends string>(values: readonly T[]): Rule<T> {
  const text = values.length === 2 ? `"${values[0]}" or "${values[1]}"` : `one of ${values.map((value) => `"${value}"`).join(', ')}`;
  return rule(text, (raw) => values.find((value) => value === raw));
}

const TRUE = ['1', 'true', 'yes', 'on'];
const FALSE = ['0', 'false', 'no', 'off'];

/** A switch, as the Turso variables always took it. */
export function flag(): Rule<boolean> {
  return rule('1 or 0 (also true/false, yes/no, on/off)', (raw) => {
    const lower = raw.toLowerCase();
    if (TRUE.includes(lower)) return true;
    if (FALSE.includes(lower)) return false;
    return undefined;
  });
}

export function text(minLength = 1): Rule<string> {
  return rule(minLength > 1 ? `at least ${minLength} characters` : 'any text', (raw) => (raw.length >= minLength ? raw : undefined));
}

export function matching(pattern: RegExp, what: string): Rule<string> {
  return rule(what, (raw) => (pattern.test(raw) ? raw : undefined));
}

/** An absolute http(s) URL; with `placeholder`, one that contains it (e.g. `{name}`). */
export function httpUrl(placeholder?: string): Rule<string> {
  const what = placeholder ? `an absolute http(s) URL containing ${placeholder}` : 'an absolute http(s) URL';
  return rule(what, (raw) => {
    if (placeholder && !raw.includes(placeholder)) return undefined;
    try {
      const url = new URL(placeholder ? raw.replaceAll(placeholder, 'sample') : raw);
      return url.protocol === 'http:' || url.protocol === 'https:' ? raw : undefined;
    } catch {
      return undefined;
    }
  });
}

/**
 * A value whose syntax another module's parser checks, naming the variable itself (regions,
 * backup locations, proxy lists): the table documents the rule and lets every value through,
 * so the rule is enforced in one place only.
 */
export function parsedElsewhere(what: string): Rule<string> {
  return rule(what, (raw) => raw);
}

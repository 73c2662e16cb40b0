import { z } from 'zod';
import { SiloError } from '../errors';

const PLACEHOLDER = '{name}';

/** An app URL template such as `https://app.example.com/t/{name}`: the admin's "open" links. */
export const appUrlSchema = z
  .string()
  .refine((template) => template.includes(PLACEHOLDER), `must contain ${PLACEHOLDER}, where the instance name goes`)
  .refine((template) => isHttpUrl(template.replaceAll(PLACEHOLDER, 'sample')), 'must be an absolute http:// or https:// URL');

/**
 * The URL of one instance in the app. The name is percent-encoded even though valid instance
 * names never need it: the template may be filled with a name that came from a request.
 */
export function appUrlFor(template: string, name: string): string {
  if (!template.includes(PLACEHOLDER)) {
    throw new SiloError('CONFIG_INVALID', `The app URL template "${template}" has no ${PLACEHOLDER}.`);
  }
  return template.replaceAll(PLACEHOLDER, encodeURIComponent(name));
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

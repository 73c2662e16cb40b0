/**
 * The fleet's messages name the remedy the way the admin console offers it ("switch to write
 * mode"). Each surface words that remedy its own way, and this table is the one place that
 * says how, so the CLI never tells an operator to flip a switch it does not have, and the
 * console never tells them to run a flag. Pure, so `@silo/fleet/format` can carry it.
 */
export type Surface = 'console' | 'cli' | 'api';

/** Each UI-switch phrase of a fleet message, and its wording per surface. */
const REMEDIES: readonly { readonly phrase: RegExp; readonly wording: Readonly<Record<Surface, string>> }[] = [
  {
    phrase: /Switch to write mode to change data(?: \(writes are audited\))?\./g,
    wording: {
      console: 'Switch to write mode to change data (writes are audited).',
      cli: 'Pass --write to change data (writes are recorded in the audit log).',
      api: 'Use a token with write access to change data (writes are audited).',
    },
  },
  {
    phrase: /run it in write mode\./g,
    wording: { console: 'run it in write mode.', cli: 'run it with --write.', api: 'run it with a token with write access.' },
  },
];

/** `message` with its remedies worded for `surface`. */
export function forSurface(message: string, surface: Surface): string {
  return REMEDIES.reduce((text, remedy) => text.replace(remedy.phrase, remedy.wording[surface]), message);
}

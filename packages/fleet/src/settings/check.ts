import { z } from 'zod';
import { SiloError } from '../errors';
import type { Rule } from './rules';
import { SETTINGS, type Setting, type SettingGroup, type SettingName } from './table';

/** A set value that breaks its rule, said in one line that names the variable and the rule. */
export interface SettingProblem {
  readonly name: SettingName;
  readonly message: string;
}

/** The raw value of a setting: trimmed, and unset when empty (`HOST=` in a shell, a blank line in an env file). */
export function rawSetting(env: NodeJS.ProcessEnv, name: SettingName): string | undefined {
  const raw = env[name]?.trim();
  return raw === undefined || raw === '' ? undefined : raw;
}

function problem(name: SettingName, setting: Setting, raw: string): SettingProblem {
  // A secret is named, never shown; other values are shown short enough to stay one line.
  const shown = setting.secret ? '' : `; got ${JSON.stringify(raw.length > 60 ? `${raw.slice(0, 57)}...` : raw)}`;
  return { name, message: `${name} must be ${setting.rule.text.replaceAll('`', '')}${shown}` };
}

/**
 * The setting's value by its rule, or undefined when unset; a value that breaks the rule
 * throws CONFIG_INVALID with the one line that names the variable and the rule.
 */
export function readSetting<N extends SettingName>(env: NodeJS.ProcessEnv, name: N): SettingValue<N> | undefined {
  const setting: Setting = SETTINGS[name];
  const raw = rawSetting(env, name);
  if (raw === undefined) return undefined;
  const parsed = setting.rule.schema.safeParse(raw);
  if (!parsed.success) throw new SiloError('CONFIG_INVALID', `Invalid setting: ${problem(name, setting, raw).message}`);
  return parsed.data as SettingValue<N>;
}

export type SettingValue<N extends SettingName> = (typeof SETTINGS)[N]['rule'] extends Rule<infer T> ? T : never;

/** Every set variable of these groups (or names) checked against its rule. */
export function checkSettings(env: NodeJS.ProcessEnv, which: readonly (SettingGroup | SettingName)[]): SettingProblem[] {
  const problems: SettingProblem[] = [];
  for (const [name, setting] of Object.entries(SETTINGS) as [SettingName, Setting][]) {
    if (!which.includes(setting.group) && !which.includes(name)) continue;
    const raw = rawSetting(env, name);
    if (raw !== undefined && !setting.rule.schema.safeParse(raw).success) problems.push(problem(name, setting, raw));
  }
  return problems;
}

/**
 * Start-up validation: throws CONFIG_INVALID whose message is one line naming each bad
 * variable and its rule, e.g. `Invalid setting: SILO_QUERY_WORKERS must be an integer from 1 to 64; got "many"`.
 */
export function assertSettings(env: NodeJS.ProcessEnv, which: readonly (SettingGroup | SettingName)[]): void {
  const problems = checkSettings(env, which);
  if (problems.length > 0) {
    throw new SiloError('CONFIG_INVALID', `Invalid ${problems.length === 1 ? 'setting' : 'settings'}: ${problems.map((found) => found.message).join('; ')}`);
  }
}

type WithFallback<N extends SettingName> = (typeof SETTINGS)[N] extends { readonly fallback: unknown } ? SettingValue<N> : SettingValue<N> | undefined;

/**
 * A zod schema of one variable for an app's own `z.object` of its environment: the table's
 * rule and default, an empty value meaning unset. Run `assertSettings` first for the
 * one-line message; this schema's issue says the same.
 */
export function settingSchema<N extends SettingName>(name: N): z.ZodType<WithFallback<N>, string | undefined> {
  const setting: Setting = SETTINGS[name];
  return z
    .string()
    .optional()
    .transform((value, ctx) => {
      const raw = value?.trim();
      if (raw === undefined || raw === '') return setting.fallback as WithFallback<N>;
      const parsed = setting.rule.schema.safeParse(raw);
      if (parsed.success) return parsed.data as WithFallback<N>;
      ctx.addIssue({ code: 'custom', message: problem(name, setting, raw).message });
      return z.NEVER;
    });
}

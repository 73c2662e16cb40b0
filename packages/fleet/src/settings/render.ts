import { SETTINGS, type Setting, type SettingGroup, type SettingName } from './table';

/**
 * The settings table as people read it: Markdown tables for the README (between
 * `<!-- settings:<group> -->` markers, rewritten by `npm run docs:settings`) and the plain
 * lines of `silo --help`.
 */

function entries(filter: (name: SettingName, setting: Setting) => boolean): [SettingName, Setting][] {
  return (Object.entries(SETTINGS) as [SettingName, Setting][]).filter(([name, setting]) => filter(name, setting));
}

function defaultOf(setting: Setting): string {
  if (setting.defaultText !== undefined) return setting.defaultText;
  if (setting.fallback === undefined) return '–';
  return `\`${typeof setting.fallback === 'boolean' ? (setting.fallback ? '1' : '0') : String(setting.fallback)}\``;
}

/** A table cell: a `|` not already escaped would end the cell. */
function cell(markdown: string): string {
  return markdown.replace(/(?<!\\)\|/g, '\\|').replaceAll('\n', ' ');
}

export function settingsTable(group: SettingGroup): string {
  const rows = entries((_, setting) => setting.group === group).map(
    ([name, setting]) => `| \`${name}\` | ${cell(defaultOf(setting))} | ${cell(setting.rule.text)} | ${cell(setting.meaning)} |`,
  );
  return ['| variable | default | valid values | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

const MARKERS = /(<!-- settings:([a-z]+) -->\n)([\s\S]*?)(\n<!-- \/settings:\2 -->)/g;
const GROUPS: readonly SettingGroup[] = ['fleet', 'apps', 'backups', 'turso', 'catalog'];

/** The document with every marked table regenerated; throws on a marker naming no group. */
export function withSettingsTables(document: string): string {
  return document.replace(MARKERS, (_match, open: string, group: string, _old: string, close: string) => {
    if (!GROUPS.includes(group as SettingGroup)) throw new Error(`Unknown settings group in a marker: ${group}`);
    return `${open}${settingsTable(group as SettingGroup)}${close}`;
  });
}

/** The groups a document has tables for, in order. */
export function settingsGroupsIn(document: string): string[] {
  return [...document.matchAll(MARKERS)].map((match) => match[2] ?? '');
}

function plain(markdown: string): string {
  return markdown.replaceAll('`', '').replaceAll('\\|', '|').replace(/\*(\w[^*]*\w)\*/g, '$1');
}

/** The first sentence: what `silo --help` has room for. */
function summary(meaning: string): string {
  // A sentence ends at a full stop before a capital: "e.g. `eu=…`" goes on.
  const end = /\.(\s+[A-Z]|$)/.exec(meaning);
  return plain(end ? meaning.slice(0, end.index) : meaning);
}

/** The "Environment:" lines of `silo --help`: the settings the CLI reads. */
export function cliEnvironmentHelp(extra: readonly (readonly [name: string, text: string])[] = []): string {
  const listed = entries((_, setting) => setting.group !== 'apps' || setting.cli === true).map(
    ([name, setting]) => [name, `${summary(setting.meaning)} (default: ${plain(defaultOf(setting))})`] as const,
  );
  const lines = [...listed, ...extra];
  const width = Math.max(...lines.map(([name]) => name.length)) + 2;
  return lines.map(([name, text]) => `  ${name.padEnd(width)}${text}`).join('\n');
}

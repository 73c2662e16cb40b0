import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface Sample {
  readonly labels?: Record<string, string>;
  readonly value?: string;
  readonly buckets?: Record<string, string>;
  readonly count?: string;
  readonly sum?: string;
}

export interface MetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  readonly metrics: readonly Sample[];
}

// The parser has no types of its own: these are the parts of its output the tests read.
const parsePrometheusTextFormat = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => MetricFamily[];

/** Parses Prometheus exposition text (throws on text a Prometheus server would refuse) into families by name. */
export function parseMetrics(text: string): Map<string, MetricFamily> {
  return new Map(parsePrometheusTextFormat(text).map((family) => [family.name, family]));
}

/** The value of the sample of `name` whose labels include `labels`, as a number. */
export function sampleValue(families: Map<string, MetricFamily>, name: string, labels: Record<string, string> = {}): number | undefined {
  const sample = families.get(name)?.metrics.find((metric) => Object.entries(labels).every(([key, value]) => metric.labels?.[key] === value));
  const value = sample?.value ?? sample?.count;
  return value === undefined ? undefined : Number(value);
}

/**
 * The `_count` of a labelled histogram series, read from the text: parse-prometheus-text-format
 * 1.1 keeps the buckets of such series but drops their labels, count and sum.
 */
export function histogramCount(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const match = new RegExp(`^${name}_count\\{(.*)\\} (\\S+)$`).exec(line);
    if (!match?.[1] || match[2] === undefined) continue;
    const present = Object.fromEntries([...match[1].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((pair) => [pair[1], pair[2]]));
    if (Object.entries(labels).every(([key, value]) => present[key] === value)) return Number(match[2]);
  }
  return undefined;
}

/** Where `.ci/run` unpacks Debian's prometheus package (its files only: no service is started). */
const UNPACKED = path.resolve(fileURLToPath(import.meta.url), '../../../../.ci/prometheus/usr/bin');

/** Prometheus' own programs: from `.ci/run`'s unpacked package, else on PATH (`apt install prometheus`). */
export function prometheusTool(name: 'promtool' | 'prometheus'): string {
  const unpacked = path.join(UNPACKED, name);
  if (existsSync(unpacked)) return unpacked;
  if (spawnSync(name, ['--version']).status === 0) return name;
  throw new Error(`${name} (Prometheus) is needed to check /metrics: \`apt install prometheus\` puts it on PATH (.ci/run unpacks Debian's package into .ci/prometheus instead).`);
}

/**
 * Prometheus' own checker, `promtool check metrics`, on exposition text: what it prints about
 * the text (format errors and its lint: names, suffixes, help), empty when it accepts it.
 */
export function promtoolProblems(text: string): string {
  const result = spawnSync(prometheusTool('promtool'), ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (result.error) throw result.error;
  return result.status === 0 ? '' : `${result.stdout}${result.stderr}`.trim() || `promtool exited with ${result.status}`;
}

import { figure, type Figure } from './stats';

export interface BenchRow {
  readonly id: string;
  readonly title: string;
  readonly unit: string;
  readonly silo: Figure;
  readonly baseline?: Figure;
  readonly baselineLabel?: string;
  /**
   * Silo ÷ baseline for costs; baseline ÷ Silo for throughputs (so > 1 always means slower).
   * With `pairedRatios`, their median; otherwise the ratio of the medians.
   */
  readonly ratio?: number;
  /**
   * The same ratio in each run (Silo and its baseline measured side by side in that run), as
   * median and spread: load that slows one run slows both sides of its pair, not the figure.
   */
  readonly pairedRatios?: Figure;
  readonly goal?: { readonly maxRatio?: number; readonly max?: number; readonly text: string };
  readonly details?: Readonly<Record<string, string>>;
  readonly reproduce: string;
}

/** A row as written to docs/benchmarks.json: with the time it was measured (ISO 8601) and on which Node. */
export interface MeasuredRow extends BenchRow {
  readonly measured: string;
  /** `process.version` of the run that measured the row (rows kept by `--only` keep theirs). */
  readonly node: string;
}

export function costRow(row: Omit<BenchRow, 'ratio'> & { baseline: Figure }): BenchRow {
  return { ...row, ratio: row.silo.median / row.baseline.median };
}

export function throughputRow(row: Omit<BenchRow, 'ratio'> & { baseline: Figure }): BenchRow {
  return { ...row, ratio: row.baseline.median / row.silo.median };
}

/** Ratios of runs measured in pairs: `silo[i]` beside `baseline[i]`. */
export function pairedRatios(silo: readonly number[], baseline: readonly number[], kind: 'cost' | 'throughput'): Figure {
  if (silo.length !== baseline.length) throw new Error(`unpaired runs: ${silo.length} Silo against ${baseline.length} baseline`);
  return figure(silo.map((value, index) => (kind === 'cost' ? value / (baseline[index] as number) : (baseline[index] as number) / value)));
}

/** A row whose ratio is the median of per-run paired ratios, with their spread. */
export function pairedRow(row: Omit<BenchRow, 'ratio' | 'silo' | 'baseline' | 'pairedRatios'>, runs: { silo: readonly number[]; baseline: readonly number[]; kind: 'cost' | 'throughput' }): BenchRow {
  const paired = pairedRatios(runs.silo, runs.baseline, runs.kind);
  return { ...row, silo: figure(runs.silo), baseline: figure(runs.baseline), pairedRatios: paired, ratio: paired.median };
}

export function met(row: BenchRow): boolean | undefined {
  if (!row.goal) return undefined;
  if (row.goal.maxRatio !== undefined) return (row.ratio ?? Infinity) <= row.goal.maxRatio;
  if (row.goal.max !== undefined) return row.silo.median <= row.goal.max;
  return undefined;
}

const number = (value: number): string =>
  !Number.isFinite(value) ? '–' : value >= 100 ? Math.round(value).toLocaleString('en-US') : value >= 10 ? value.toFixed(1) : value.toFixed(2);

/** A paired ratio shows its spread over runs; an unpaired one is the ratio of the medians. */
const ratioCell = (row: BenchRow): string =>
  row.ratio === undefined
    ? '–'
    : row.pairedRatios
      ? `${row.ratio.toFixed(2)}× (${row.pairedRatios.min.toFixed(2)}–${row.pairedRatios.max.toFixed(2)}, per run)`
      : `${row.ratio.toFixed(2)}×`;

const show = (f: Figure, unit: string): string => `${number(f.median)} ${unit} (${number(f.min)}–${number(f.max)})`;

export function markdown(rows: readonly MeasuredRow[], meta: Readonly<Record<string, string>>): string {
  const lines = [
    '# Benchmarks',
    '',
    'Written by `npm run bench` (full size) or `npm run bench -- --quick` (small, a smoke test). Every',
    'figure is the median of repeated runs, with min–max in brackets; each Silo figure is measured',
    'beside its raw baseline in the same run on the same machine. A ratio marked "per run" is the',
    "median of each run's own Silo ÷ baseline (min–max over runs), not a ratio of medians.",
    'Tests never assert timings.',
    '',
    ...Object.entries(meta).map(([key, value]) => `- **${key}:** ${value}`),
    '',
    '| # | what | Silo | baseline | ratio | goal | met |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((row) => {
      const ok = met(row);
      return `| ${row.id} | ${row.title} | ${show(row.silo, row.unit)} | ${row.baseline ? `${show(row.baseline, row.unit)}<br>${row.baselineLabel ?? ''}` : '–'} | ${ratioCell(row)} | ${row.goal?.text ?? '–'} | ${ok === undefined ? '–' : ok ? 'yes' : '**no**'} |`;
    }),
    '',
    '## Details and how to reproduce each row',
    '',
    ...rows.flatMap((row) => [
      `### ${row.id}. ${row.title}`,
      '',
      ...Object.entries(row.details ?? {}).map(([key, value]) => `- ${key}: ${value}`),
      `- measured: ${row.measured.slice(0, 16).replace('T', ' ')} UTC on Node ${row.node}`,
      `- reproduce: \`${row.reproduce}\``,
      '',
    ]),
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * Splits one CPU profile between two sides that ran turn by turn in one process (row 5e's
 * Silo and floor pages): each sample goes to the side whose request was under way at its
 * time, so both sides are profiled with the same JIT, the same heap and the same machine
 * minutes, which two processes profiled one after the other are not (on this VM the floor
 * alone moved by 70% between two such processes).
 */

export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** One request: its side and when it ran, in µs of the monotonic clock the profiler uses. */
export interface Window {
  side: string;
  startUs: number;
  endUs: number;
}

/** The clock V8's profiler stamps samples with (CLOCK_MONOTONIC, as process.hrtime), in µs. */
export const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);

/** Whose code a frame runs: a package, a Node module, our own folder, or V8's own entries. */
export function packageOf(frame: { functionName: string; url: string }): string {
  const { url, functionName } = frame;
  if (url === '') return functionName.startsWith('(') ? functionName : `native ${functionName || '(anonymous)'}`;
  if (url.startsWith('node:')) return url.split('/').slice(0, 2).join('/');
  const inModules = url.lastIndexOf('node_modules/');
  if (inModules >= 0) {
    const rest = url.slice(inModules + 'node_modules/'.length).split('/');
    return rest.slice(0, rest[0]?.startsWith('@') ? 2 : 1).join('/');
  }
  const ours = url.replace(/^.*?\/(apps|packages|bench)\//, '$1/');
  return ours.split('/').slice(0, 2).join('/');
}

/** A frame by function, for a finer view than packageOf. */
export function functionOf(frame: { functionName: string; url: string; lineNumber: number }): string {
  return `${frame.functionName || '(anonymous)'} ${packageOf(frame)}:${frame.lineNumber + 1}`;
}

/**
 * Self time per side and key, in µs per request of that side. Samples outside every window
 * (the loop between requests) count for neither.
 */
export function splitBySide(profile: CpuProfile, windows: readonly Window[], keyOf: (frame: CpuProfile['nodes'][number]['callFrame']) => string): Map<string, Map<string, number>> {
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const requests = new Map<string, number>();
  for (const window of windows) requests.set(window.side, (requests.get(window.side) ?? 0) + 1);
  const bySide = new Map<string, Map<string, number>>([...requests.keys()].map((side) => [side, new Map<string, number>()]));
  let at = profile.startTime;
  let next = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    while (next < windows.length && (windows[next] as Window).endUs < at) next++;
    const window = windows[next];
    if (!window) break;
    if (window.startUs > at) continue;
    const frame = frames.get(profile.samples[i] as number);
    if (!frame) continue;
    // A sample stands for the time until the next one.
    const us = profile.timeDeltas[i + 1] ?? 0;
    const totals = bySide.get(window.side) as Map<string, number>;
    const key = keyOf(frame);
    totals.set(key, (totals.get(key) ?? 0) + us / (requests.get(window.side) as number));
  }
  return bySide;
}

/** A Markdown table of the keys where `a` spends most beyond `b`, µs per request. */
export function differenceTable(bySide: Map<string, Map<string, number>>, a: string, b: string, rows: number): string {
  const left = bySide.get(a) ?? new Map<string, number>();
  const right = bySide.get(b) ?? new Map<string, number>();
  const total = (side: Map<string, number>): number => [...side.values()].reduce((sum, us) => sum + us, 0);
  const keys = [...new Set([...left.keys(), ...right.keys()])]
    .map((key) => ({ key, a: left.get(key) ?? 0, b: right.get(key) ?? 0 }))
    .sort((x, y) => y.a - y.b - (x.a - x.b))
    .slice(0, rows);
  return [
    `| where | ${a} µs | ${b} µs | difference |`,
    '| --- | --- | --- | --- |',
    `| all (profiler on) | ${total(left).toFixed(0)} | ${total(right).toFixed(0)} | ${(total(left) - total(right)).toFixed(0)} |`,
    ...keys.map((row) => `| ${row.key} | ${row.a.toFixed(1)} | ${row.b.toFixed(1)} | ${(row.a - row.b).toFixed(1)} |`),
  ].join('\n');
}

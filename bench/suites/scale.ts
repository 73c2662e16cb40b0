import { benchFleet, log, scratch } from '../setup';
import type { BenchRow } from '../report';
import { figure, openFds, peakRss, percentile, resetPeakRss } from '../stats';

/** 7. Many instances on one node: creation, the catalog list page, random access under the LRU cap. */
const ROUNDS = 3;

export async function scaleBench(size: { instances: number; listSamples: number; accessSamples: number }): Promise<BenchRow[]> {
  resetPeakRss();
  const startRss = process.memoryUsage().rss;
  const dataDir = scratch('scale');
  const fleet = await benchFleet(dataDir, { handleCap: 200 });
  // Creation is timed in ten equal batches: the figure is the median batch (with min and max),
  // so a slow-down as the fleet grows shows up instead of vanishing into one total.
  const batch = Math.max(1, Math.floor(size.instances / 10));
  const perInstanceMs: number[] = [];
  const started = performance.now();
  for (let from = 0; from < size.instances; from += batch) {
    const begin = performance.now();
    const to = Math.min(size.instances, from + batch);
    for (let i = from; i < to; i++) await fleet.create(`tenant-${i}`, { jurisdiction: i % 2 ? 'eu' : 'us' });
    perInstanceMs.push((performance.now() - begin) / (to - from));
    log(`  scale: ${to} / ${size.instances}`);
  }
  const createSeconds = (performance.now() - started) / 1000;
  // Some activity, so sorting by last activity and todos has data to order.
  for (let i = 0; i < size.instances; i += 7) fleet.touch(`tenant-${i}`, { todos: i % 50, completed: i % 13 });
  await fleet.flushActivity();

  // The list page and random access are measured in ROUNDS rounds; each figure is the median
  // of the rounds' percentiles, with min and max.
  const pages = Math.floor(size.instances / 2 / 50);
  const listP95: number[] = [];
  const listRounds: number[][] = [];
  const accessP50: number[] = [];
  const accessP99: number[] = [];
  let maxFds = 0;
  let maxHandles = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const list: number[] = [];
    for (let s = 0; s < size.listSamples; s++) {
      const begin = performance.now();
      fleet.list({ jurisdiction: s % 2 ? 'eu' : 'us', state: 'ready', sort: s % 3 === 0 ? 'lastActive' : s % 3 === 1 ? 'metric:todos' : 'created', order: 'desc', limit: 50, offset: (((s + round * 11) * 37) % Math.max(1, pages)) * 50 });
      list.push(performance.now() - begin);
    }
    list.sort((a, b) => a - b);
    listRounds.push(list);
    listP95.push(percentile(list, 95));

    const access: number[] = [];
    for (let s = 0; s < size.accessSamples; s++) {
      const name = `tenant-${Math.floor(Math.random() * size.instances)}`;
      const begin = performance.now();
      const handle = await fleet.open(name);
      await handle.db.execute('SELECT count(*) FROM todos');
      handle.release();
      access.push(performance.now() - begin);
      if (s % 100 === 0) {
        maxFds = Math.max(maxFds, openFds());
        maxHandles = Math.max(maxHandles, fleet.openHandles);
      }
    }
    access.sort((a, b) => a - b);
    accessP50.push(percentile(access, 50));
    accessP99.push(percentile(access, 99));
    log(`  scale round ${round + 1}: list p95 ${listP95.at(-1)?.toFixed(1)} ms, open+query p99 ${accessP99.at(-1)?.toFixed(2)} ms`);
  }
  const allList = listRounds.flat().sort((a, b) => a - b);
  const rss = peakRss();
  await fleet.close();
  const n = size.instances.toLocaleString('en-US');
  const reproduce = 'npm run bench -- --only scale';
  return [
    {
      id: '7a',
      title: `Create ${n} instances on one node (per instance, median of 10 batches of ${batch.toLocaleString('en-US')})`,
      unit: 'ms',
      silo: figure(perInstanceMs),
      details: { total: `${createSeconds.toFixed(1)} s`, 'first / last batch': `${perInstanceMs[0]?.toFixed(2)} / ${perInstanceMs.at(-1)?.toFixed(2)} ms per instance` },
      reproduce,
    },
    {
      id: '7b',
      title: `Catalog list page over ${n} instances (filtered by jurisdiction, sorted, 50 rows), p95`,
      unit: 'ms',
      silo: figure(listP95),
      goal: { max: 100, text: '≤ 100 ms' },
      details: { 'p50 / p95 / max, all rounds': `${percentile(allList, 50).toFixed(2)} / ${percentile(allList, 95).toFixed(2)} / ${(allList.at(-1) ?? 0).toFixed(2)} ms over ${ROUNDS} × ${size.listSamples} pages` },
      reproduce,
    },
    {
      id: '7c',
      title: `Random open + query over ${n} instances with the LRU cap at 200, p99`,
      unit: 'ms',
      silo: figure(accessP99),
      details: { 'p50 (median of rounds)': `${figure(accessP50).median.toFixed(3)} ms`, samples: `${ROUNDS} × ${size.accessSamples} accesses` },
      reproduce,
    },
    {
      id: '7d',
      title: 'Peak RSS of the process (creating, listing and serving all of the above)',
      unit: 'MB',
      silo: figure([rss / 1024 / 1024]),
      goal: { max: 1024, text: '≤ 1 GB' },
      details: { how: `the kernel's peak mark (VmHWM), reset when this suite starts; RSS then: ${Math.round(startRss / 2 ** 20)} MB (what earlier suites left in the process)` },
      reproduce,
    },
    {
      id: '7e',
      title: 'Open file descriptors at peak (cap 200 handles × 3 fds + the process)',
      unit: 'fds',
      silo: figure([maxFds]),
      goal: { max: 200 * 3 + 64, text: '≤ 664 (bounded by the cap)' },
      details: { 'most handles open': String(maxHandles) },
      reproduce,
    },
  ];
}

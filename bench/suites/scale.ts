import { benchFleet, log, scratch } from '../setup';
import type { BenchRow } from '../report';
import { figure, openFds, peakRss, percentile } from '../stats';

/** 7. Many instances on one node: creation, the catalog list page, random access under the LRU cap. */
export async function scaleBench(size: { instances: number; listSamples: number; accessSamples: number }): Promise<BenchRow[]> {
  const dataDir = scratch('scale');
  const fleet = await benchFleet(dataDir, { handleCap: 200 });
  const started = performance.now();
  for (let i = 0; i < size.instances; i++) {
    await fleet.create(`tenant-${i}`, { jurisdiction: i % 2 ? 'eu' : 'us' });
    if (i % 10_000 === 9_999) log(`  scale: ${i + 1} / ${size.instances}`);
  }
  const createSeconds = (performance.now() - started) / 1000;
  // Some activity, so sorting by last activity and todos has data to order.
  for (let i = 0; i < size.instances; i += 7) fleet.touch(`tenant-${i}`, { todos: i % 50, completed: i % 13 });
  await fleet.flushActivity();

  const list: number[] = [];
  const pages = Math.floor(size.instances / 2 / 50);
  for (let s = 0; s < size.listSamples; s++) {
    const begin = performance.now();
    fleet.list({ jurisdiction: s % 2 ? 'eu' : 'us', state: 'ready', sort: s % 3 === 0 ? 'lastActive' : s % 3 === 1 ? 'metric:todos' : 'created', order: 'desc', limit: 50, offset: (s * 37 % Math.max(1, pages)) * 50 });
    list.push(performance.now() - begin);
  }
  list.sort((a, b) => a - b);

  const access: number[] = [];
  let maxFds = 0;
  let maxHandles = 0;
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
  const rss = peakRss();
  await fleet.close();
  const n = size.instances.toLocaleString('en-US');
  const reproduce = 'npm run bench -- --only scale';
  return [
    { id: '7a', title: `Create ${n} instances on one node (total)`, unit: 's', silo: figure([createSeconds]), details: { 'per instance': `${((createSeconds * 1000) / size.instances).toFixed(2)} ms` }, reproduce },
    {
      id: '7b',
      title: `Catalog list page over ${n} instances (filtered by jurisdiction, sorted, 50 rows), p95`,
      unit: 'ms',
      silo: figure([percentile(list, 95)]),
      goal: { max: 100, text: '≤ 100 ms' },
      details: { 'p50 / p95 / max': `${percentile(list, 50).toFixed(2)} / ${percentile(list, 95).toFixed(2)} / ${(list.at(-1) ?? 0).toFixed(2)} ms over ${size.listSamples} pages` },
      reproduce,
    },
    {
      id: '7c',
      title: `Random open + query over ${n} instances with the LRU cap at 200, p99`,
      unit: 'ms',
      silo: figure([percentile(access, 99)]),
      details: { 'p50 / p99': `${percentile(access, 50).toFixed(3)} / ${percentile(access, 99).toFixed(3)} ms over ${size.accessSamples} accesses` },
      reproduce,
    },
    { id: '7d', title: 'Peak RSS of the process (creating, listing and serving all of the above)', unit: 'MB', silo: figure([rss / 1024 / 1024]), goal: { max: 1024, text: '≤ 1 GB' }, reproduce },
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

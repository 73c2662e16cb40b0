import path from 'node:path';
import { LocalEngine } from '../src/index';
import { describeEngineContract, regionsIn } from './engine-contract';

describeEngineContract('local files (better-sqlite3)', async (dir) => {
  const engine = new LocalEngine({ templatesDir: path.join(dir, 'templates'), queryWorkers: 2 });
  return { engine, regions: regionsIn(dir), dispose: () => engine.close() };
});

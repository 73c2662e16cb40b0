import path from 'node:path';
import { LocalEngine } from '../src/index';
import { describeEngineContract, regionsIn } from './engine-contract';

describeEngineContract('local files (better-sqlite3)', async (dir) => {
  const regions = regionsIn(dir);
  const engine = new LocalEngine({ templatesDir: path.join(dir, 'templates'), regions, queryWorkers: 2 });
  return { engine, regions, dispose: () => engine.close() };
});

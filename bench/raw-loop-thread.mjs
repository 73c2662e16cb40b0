// @ts-check
/** A worker thread running one of raw-loops.mjs over its share of the files (fleet-wide.ts). */
import { workerData } from 'node:worker_threads';
import { countEach, migrateEach } from './raw-loops.mjs';

/** @type {{ loop: 'migrate' | 'count', files: string[], sql: string, version: number }} */
const task = workerData;
if (task.loop === 'migrate') migrateEach(task.files, task.sql, task.version);
else countEach(task.files);

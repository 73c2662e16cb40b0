import { buildApp } from './server';

/** One fresh build for the whole run; test files reuse it. */
export default function setup(): void {
  buildApp();
}

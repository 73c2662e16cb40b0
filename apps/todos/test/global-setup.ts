import { buildApp } from './server';

/**
 * One fresh build for the whole run; test files reuse it. The fast tier (`npm run test:fast`,
 * package suites only) sets SILO_TEST_NO_APP_BUILD=1: it serves no app.
 */
export default function setup(): void {
  if (process.env['SILO_TEST_NO_APP_BUILD'] === '1') return;
  buildApp();
}

/**
 * Named points where a test can make this process die as if by `kill -9`, to prove that a
 * crash at exactly that step leaves nothing marked ready that is not. Inert unless the
 * SILO_FAILPOINT environment variable names the point.
 */
const armed = process.env['SILO_FAILPOINT'];

export type FailpointName =
  | 'create:after-register'
  | 'create:after-copy'
  | 'create:after-seed'
  | 'create:before-ready'
  | 'create:after-ready'
  | 'clone:during-copy'
  | 'clone:before-ready'
  | 'import:after-stage'
  | 'migrate:after-instance-commit'
  | 'migrate:mid-transaction'
  | 'migrate:thread-mid-transaction'
  | 'backup:after-chunks'
  | 'backup:before-manifest'
  | 'restore:before-swap'
  | 'move:after-seal'
  | 'move:after-upload'
  | 'move:after-switch'
  | 'purge:after-intent'
  | 'purge:after-markers'
  | 'purge:after-remove';

export function failpoint(name: FailpointName): void {
  if (armed === name) process.kill(process.pid, 'SIGKILL');
}

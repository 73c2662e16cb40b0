import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Fields that could carry a secret if a caller ever logged a form or a header object: pino
 * replaces them. Access-log lines never carry them anyway (they name the route pattern, not
 * the URL, and no headers); this is the second line of defence.
 */
const REDACT = [
  'password',
  'token',
  'secret',
  'cookie',
  'authorization',
  '*.password',
  '*.token',
  '*.secret',
  '*.cookie',
  '*.authorization',
  'headers.cookie',
  'headers.authorization',
  'headers["set-cookie"]',
];

/**
 * The process's logger (pino): JSON lines on stdout for log collectors, pretty when stdout is a
 * terminal. Writes are synchronous so a line logged just before `process.exit` is not lost.
 */
export function createLogger(options: { app: string; level: LogLevel; pretty?: boolean }): Logger {
  const settings = { level: options.level, base: { app: options.app }, redact: { paths: REDACT, censor: '[redacted]' } };
  if (options.pretty ?? process.stdout.isTTY === true) {
    return pino(settings, pretty({ sync: true, colorize: true, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l' }));
  }
  return pino(settings, pino.destination({ fd: 1, sync: true }));
}

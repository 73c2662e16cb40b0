/**
 * The one way every browser suite starts Chromium: Debian's chromium, headless, driven by
 * playwright-core (Playwright's own browser download needs the internet). No sandbox: CI runs
 * as root.
 *
 * Should the browser go away while a suite still uses it, the suite fails with no more than
 * "Target page, context or browser has been closed". So a browser that disconnects without
 * being closed says so on stderr, with the time and the machine's free memory and load then.
 */
import { freemem, loadavg } from 'node:os';
import { chromium, type Browser } from 'playwright-core';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

export async function launchChromium(): Promise<Browser> {
  const browser = await chromium.launch({ executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium', args: ARGS });
  const launchedAt = Date.now();
  let closing = false;
  const close = browser.close.bind(browser);
  browser.close = (options) => {
    closing = true;
    return close(options);
  };
  browser.on('disconnected', () => {
    if (closing) return;
    const free = Math.round(freemem() / 2 ** 20);
    const load = loadavg().map((value) => value.toFixed(1)).join(' ');
    process.stderr.write(
      `\n[chromium] ${new Date().toISOString()}: the browser went away ${Date.now() - launchedAt} ms after its launch, while its suite still used it (free memory ${free} MiB, load ${load}).\n`,
    );
  });
  return browser;
}

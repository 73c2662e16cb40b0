/**
 * TodoMVC's own acceptance tests (tastejs/test.js with page.js and testOperations.js,
 * unchanged) against the TODO app, with JavaScript and without. Their Selenium calls run on
 * playwright-core through selenium-shim.ts; the adaptations are listed in README.md.
 */
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, it } from 'vitest';
import { launchBrowser, type Browser, type Page } from '../browser';
import { startServer, type TestServer } from '../server';
import { freshList, type FreshList } from './fresh-list';
import { By, Driver, Key, queued, until } from './selenium-shim';

/** The address test.js is given; the shim's driver turns it into the fresh list of each test. */
const SUITE_BASE_URL = 'http://localhost:8000/examples/silo/index.html';

/**
 * Cases that cannot pass without JavaScript: every "Editing" case starts by dispatching a
 * `dblclick` event on the item (page.js doubleClickItemAtIndex), and only a script can hear it.
 * Without JavaScript an item is edited through its edit link, a page of its own.
 */
const NEEDS_JAVASCRIPT = /^Editing > /;

let server: TestServer;
let browser: Browser;
/** The list and page the next `new webdriver.Builder().build()` drives. */
let session: { list: FreshList; page: Page } | undefined;
let driver: Driver | undefined;
/** The describe titles around the test being registered (Vitest runs nested describe bodies later, each on its own). */
let describing: string[] = [];

type Callback = (done?: (error?: unknown) => void) => unknown;

/** A Mocha function (with a `done` parameter or a returned promise) as a Vitest one; a failed Selenium command fails it too. */
function mochaFunction(fn: Callback, phase: 'test' | 'before' | 'after'): () => Promise<void> {
  return () =>
    new Promise<void>((resolve, reject) => {
      if (phase === 'after') driver?.queue.reset();
      const done = (error?: unknown) => (error ? reject(error) : resolve());
      const result = fn.length > 0 ? fn(done) : undefined;
      if (fn.length === 0) Promise.resolve(fn()).then(() => resolve(), reject);
      else Promise.resolve(result).catch(reject);
      driver?.queue.onFailure(reject);
    });
}

const testing = {
  describe(title: string, define: () => void) {
    const path = [...describing, title];
    describe(title, () => {
      const outer = describing;
      describing = path;
      try {
        define();
      } finally {
        describing = outer;
      }
    });
  },
  it(title: string, fn: Callback) {
    // The outermost describe is "TodoMVC - <framework>": the skip list names the ones below it.
    const path = [...describing.slice(1), title].join(' > ');
    const withoutJavaScript = describing[0]?.includes('without JavaScript') ?? false;
    (!withoutJavaScript || !NEEDS_JAVASCRIPT.test(path) ? it : it.skip)(title, mochaFunction(fn, 'test'));
  },
  before: (fn: Callback) => beforeAll(mochaFunction(fn, 'before')),
  after: (fn: Callback) => afterAll(mochaFunction(fn, 'after')),
  beforeEach: (fn: Callback) => beforeEach(mochaFunction(fn, 'before')),
  afterEach: (fn: Callback) => afterEach(mochaFunction(fn, 'after')),
};

class Builder {
  withCapabilities(_capabilities: unknown): this {
    return this;
  }
  setChromeOptions(_options: unknown): this {
    return this;
  }
  build(): Driver {
    if (!session) throw new Error('No fresh list for this test.');
    driver = new Driver(session.page, session.list, SUITE_BASE_URL);
    return driver;
  }
}

class ChromeOptions {
  addArguments(..._args: string[]): void {}
  setChromeBinaryPath(_path: string): void {}
}

const webdriver = { Builder, By, Key };

/** Loads one of the vendored CommonJS files with the shim in place of its dependencies. */
function load(file: string): unknown {
  const modules: Record<string, () => unknown> = {
    'selenium-webdriver': () => webdriver,
    'selenium-webdriver/chrome': () => ({ Options: ChromeOptions }),
    'selenium-webdriver/testing': () => testing,
    'selenium-webdriver/lib/until': () => until,
    './page': () => queuedConstructor(load('page.js')),
    // laxMode is off (test.js is called with false): the strict page object is the one used.
    './pageLaxMode': () => queuedConstructor(load('page.js')),
    './testOperations': () => queuedConstructor(load('testOperations.js')),
  };
  const source = readFileSync(new URL(`./tastejs/${file}`, import.meta.url), 'utf8');
  const module = { exports: {} as unknown };
  const require = (name: string) => {
    const found = modules[name];
    if (!found) throw new Error(`${file} requires ${name}, which the shim does not provide.`);
    return found();
  };
  new Function('require', 'module', 'exports', source)(require, module, module.exports);
  return module.exports;
}

type Constructor = new (arg: unknown) => object;

/** page.js and testOperations.js objects whose functions the queue runs in the test's order. */
function queuedConstructor(exported: unknown): Constructor {
  const Original = exported as Constructor;
  return function Queued(arg: unknown) {
    if (!driver) throw new Error('No driver yet.');
    return queued(driver.queue, new Original(arg));
  } as unknown as Constructor;
}

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const suite = load('test.js') as { todoMVCTest(name: string, baseUrl: string, speedMode: boolean, laxMode: boolean, browserName: string): void };

for (const withJavaScript of [true, false]) {
  describe(withJavaScript ? 'with JavaScript' : 'without JavaScript', () => {
    beforeEach(async () => {
      const list = await freshList(browser, server.url, withJavaScript);
      session = { list, page: await list.context.newPage() };
      driver = undefined;
    });
    afterEach(async () => {
      // test.js quits the browser itself; this closes it when a failure stopped that.
      await session?.list.context.close().catch(() => undefined);
    });
    suite.todoMVCTest(`Silo TODOs (${withJavaScript ? 'with' : 'without'} JavaScript)`, SUITE_BASE_URL, false, false, 'chrome');
  });
}

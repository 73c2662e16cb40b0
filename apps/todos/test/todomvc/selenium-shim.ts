/**
 * The part of selenium-webdriver 2.x that TodoMVC's tests/ (test.js, page.js,
 * testOperations.js, unchanged) use, over playwright-core.
 *
 * Selenium 2 ran every command through its "control flow": the tests call `page.enterItem(…)`
 * and `testOps.assertItems(…)` one after the other without waiting, and the flow runs them in
 * that order, each to its end (the promises its callbacks chain included) before the next.
 * Here a call from the test itself is queued, and runs once the calls before it are done; a
 * call made while a queued one runs (page.js calling the browser) runs at once, as part of it.
 * AsyncLocalStorage tells the two apart.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ElementHandle, Page } from 'playwright-core';
import { openList, type FreshList } from './fresh-list';

/**
 * Inside a queued command: what it started and did not return (a `browser.wait` page.js does
 * not return). Selenium's flow ended a command only once those had ended too, so a check is
 * never left running beside the commands after it.
 */
const insideCommand = new AsyncLocalStorage<Set<Promise<unknown>>>();

/** Ties `promise` to the command running now, if any: the command ends when it does. */
function subtask<T extends Promise<unknown>>(promise: T): T {
  insideCommand.getStore()?.add(promise);
  return promise;
}

/**
 * Runs `command`, then waits until what it started has settled. Their outcomes stay with
 * whoever holds them: page.js handles some failed waits itself (an element that may be absent),
 * and an unhandled one still fails the run as Selenium's flow failed it.
 */
async function withSubtasks<T>(command: () => Promise<T>): Promise<T> {
  const started = new Set<Promise<unknown>>();
  try {
    return await insideCommand.run(started, command);
  } finally {
    await settleAll(started);
  }
}

async function settleAll(started: Set<Promise<unknown>>): Promise<void> {
  // A subtask may start others while it runs: until none is left.
  while (started.size > 0) {
    const batch = [...started];
    started.clear();
    await Promise.allSettled(batch);
  }
}

/** The commands of one test, in the order the test issued them; the first failure fails the rest. */
export class CommandQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private failure: unknown;
  private readonly failureListeners: ((error: unknown) => void)[] = [];

  run<T>(command: () => Promise<T>): Promise<T> {
    if (insideCommand.getStore()) return command();
    const result = this.tail.then(() => {
      if (this.failure !== undefined) throw this.failure;
      return withSubtasks(command);
    });
    this.tail = result.catch((error: unknown) => {
      if (this.failure === undefined) {
        this.failure = error;
        for (const listener of this.failureListeners) listener(error);
      }
    });
    return result;
  }

  /** A new phase (the hooks after a test): Selenium, too, started a fresh flow after a failure. */
  reset(): void {
    this.failure = undefined;
    this.failureListeners.length = 0;
  }

  /** Calls `listener` with the first failure (Selenium failed the test on any failed command). */
  onFailure(listener: (error: unknown) => void): void {
    if (this.failure !== undefined) listener(this.failure);
    else this.failureListeners.push(listener);
  }
}

/** `fn` queued when the test calls it, and called as it is (synchronously too) from inside a command. */
export function queuedFunction<A extends unknown[]>(queue: CommandQueue, fn: (...args: A) => unknown): (...args: A) => unknown {
  return (...args) => (insideCommand.getStore() ? fn(...args) : queue.run(async () => fn(...args)));
}

/** Every own function of `target` (page.js and testOperations.js define theirs in the constructor) queued. */
export function queued<T extends object>(queue: CommandQueue, target: T): T {
  for (const [key, value] of Object.entries(target)) {
    if (typeof value === 'function') Object.assign(target, { [key]: queuedFunction(queue, (...args: unknown[]) => (value as (...a: unknown[]) => unknown).apply(target, args)) });
  }
  return target;
}

/** selenium-webdriver's Key: characters of Unicode's private use area. */
export const Key = { ENTER: '\uE007', ESCAPE: '\uE00C', BACK_SPACE: '\uE003', DELETE: '\uE017' } as const;
const KEY_NAMES: Record<string, string> = { [Key.ENTER]: 'Enter', [Key.ESCAPE]: 'Escape', [Key.BACK_SPACE]: 'Backspace', [Key.DELETE]: 'Delete' };

export interface By {
  css: string;
}
export const By = { css: (css: string): By => ({ css }) };

/**
 * ChromeDriver finishes a click or a key press only once a page load it started has finished;
 * Playwright's keyboard does not wait. This follows the main frame's navigation requests (a
 * form post, its redirect) until the page that answers them has loaded.
 */
export class PageLoads {
  private pending = false;
  private readonly waiting: (() => void)[] = [];

  private inFlight = 0;

  constructor(page: Page) {
    page.on('request', () => (this.inFlight += 1));
    page.on('requestfinished', () => (this.inFlight -= 1));
    page.on('requestfailed', () => (this.inFlight -= 1));
    page.on('request', (request) => {
      if (request.isNavigationRequest() && request.frame() === page.mainFrame()) this.pending = true;
    });
    const settle = () => {
      this.pending = false;
      for (const resolve of this.waiting.splice(0)) resolve();
    };
    page.on('load', settle);
    page.on('requestfailed', (request) => {
      if (request.isNavigationRequest() && request.frame() === page.mainFrame()) settle();
    });
  }

  /** After an action: a moment for a navigation to start, then until it has loaded. */
  async settled(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 30));
    await this.idle();
  }

  /** Until no request has been in flight for 100 ms (Playwright's `networkidle`, for a same-page navigation). */
  async quiet(): Promise<void> {
    let quietSince = Date.now();
    while (Date.now() - quietSince < 100) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (this.inFlight > 0) quietSince = Date.now();
    }
    await this.idle();
  }

  /** Until a page load under way has finished (ChromeDriver's wait before each command). */
  async idle(): Promise<void> {
    if (this.pending) await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
}

/**
 * An element as Selenium holds it, plus how it was found. Without JavaScript every change is a
 * form post and a new page, so an element found before it belongs to a page that is gone (a
 * "stale element" to WebDriver). page.js keeps elements across such changes (enterItem reads the
 * field it typed into until it is empty), so a stale element is found again the way it was
 * found first: the same selector, the same position among its matches.
 */
export class WebElement {
  constructor(
    readonly page: Page,
    private current: ElementHandle,
    private readonly loads: PageLoads,
    private readonly relocate: () => Promise<ElementHandle | null>,
  ) {}

  get handle(): ElementHandle {
    return this.current;
  }

  private async use<T>(action: (handle: ElementHandle) => Promise<T>): Promise<T> {
    try {
      return await action(this.current);
    } catch (error) {
      const stale = error instanceof Error && /not attached|context was destroyed|Cannot find context/i.test(error.message);
      const again = stale ? await this.relocate() : null;
      if (!again) throw error;
      this.current = again;
      return action(again);
    }
  }

  async click(): Promise<void> {
    await this.use((handle) => handle.click());
    await this.loads.settled();
  }

  /** Focuses the element, then types: a Key character is pressed, anything else typed. */
  async sendKeys(...parts: string[]): Promise<void> {
    await this.use((handle) => handle.focus());
    for (const character of parts.join('')) {
      const key = KEY_NAMES[character];
      if (key) {
        await this.page.keyboard.press(key);
        await this.loads.settled();
      } else await this.page.keyboard.type(character);
    }
  }

  /** As Selenium: the property of that name when there is one, else the attribute. */
  getAttribute(name: string): Promise<string | null> {
    return this.use((handle) => handle.evaluate((node, attribute) => {
      const element = node as Element;
      const value: unknown = Reflect.get(element, attribute);
      return value === undefined || value === null ? element.getAttribute(attribute) : String(value);
    }, name));
  }

  /** The rendered text, trimmed, as Selenium's getText. */
  getText(): Promise<string> {
    return this.use((handle) => handle.evaluate((element) => (element instanceof HTMLElement ? element.innerText : (element.textContent ?? '')).trim()));
  }

  /**
   * Selenium's isSelected: a checkbox's `checked`. A control in the checkbox role that is not
   * a native checkbox (the toggles without JavaScript are submit inputs) answers with its
   * aria-checked, as assistive technology reads it.
   */
  isSelected(): Promise<boolean> {
    return this.use((handle) =>
      handle.evaluate((node) =>
        node instanceof HTMLInputElement ? (node.type === 'checkbox' || node.type === 'radio' ? node.checked : node.getAttribute('aria-checked') === 'true') : (node as Element).getAttribute('aria-checked') === 'true',
      ),
    );
  }

  isDisplayed(): Promise<boolean> {
    return this.use((handle) => handle.isVisible());
  }

  async findElements(by: By): Promise<WebElement[]> {
    const found = await this.use((handle) => handle.$$(by.css));
    return found.map((handle, index) => new WebElement(this.page, handle, this.loads, async () => (await (await this.use(async (h) => h.$$(by.css)))[index]) ?? null));
  }
}

/** A condition for `driver.wait`: a value when it holds, a falsy one while it does not. */
export interface Condition<T> {
  description: string;
  test(driver: Driver): Promise<T | null | false>;
}

/** Elements stop existing on a page load; until then, a failed read counts as "not yet". */
async function attempt<T>(read: () => Promise<T>): Promise<T | null> {
  try {
    return await read();
  } catch {
    return null;
  }
}

export const until = {
  elementLocated: (by: By): Condition<WebElement> => ({
    description: `element located by ${by.css}`,
    async test(driver) {
      const [first] = await driver.findElements(by);
      return first ?? null;
    },
  }),
  elementIsVisible: (element: WebElement): Condition<WebElement> => ({
    description: 'element to be visible',
    test: async () => ((await attempt(() => element.isDisplayed())) ? element : null),
  }),
  elementIsNotVisible: (element: WebElement): Condition<WebElement> => ({
    description: 'element to be hidden',
    test: async () => ((await attempt(() => element.isDisplayed())) === false ? element : null),
  }),
  elementIsSelected: (element: WebElement): Condition<WebElement> => ({
    description: 'element to be selected',
    test: async () => ((await attempt(() => element.isSelected())) === true ? element : null),
  }),
  elementIsNotSelected: (element: WebElement): Condition<WebElement> => ({
    description: 'element not to be selected',
    test: async () => ((await attempt(() => element.isSelected())) === false ? element : null),
  }),
  elementTextIs: (element: WebElement, text: string): Condition<WebElement> => ({
    description: `element text to be ${JSON.stringify(text)}`,
    test: async () => ((await attempt(() => element.getText())) === text ? element : null),
  }),
};

/** What `driver.wait` gives back: a promise, and for an element also its commands (Selenium's WebElementPromise). */
type WaitResult<T> = Promise<T> & Partial<Pick<WebElement, 'click' | 'sendKeys'>>;

/**
 * One test's browser: the fresh list's page. The suite's own base URL stands for this list.
 * Waits poll every 50 ms; their time limits are the suite's own (page.js: 3 s).
 */
export class Driver {
  readonly queue = new CommandQueue();
  readonly console: { level: string; message: string }[] = [];
  private readonly loads: PageLoads;

  constructor(
    private readonly page: Page,
    private readonly list: FreshList,
    private readonly suiteBaseUrl: string,
  ) {
    this.loads = new PageLoads(page);
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') this.console.push({ level: message.type(), message: message.text() });
    });
    for (const name of ['get', 'quit', 'findElements', 'executeScript', 'wait'] as const) {
      const method = Driver.prototype[name] as (...args: unknown[]) => unknown;
      Object.assign(this, { [name]: queuedFunction(this.queue, (...args: unknown[]) => method.apply(this, args)) });
    }
  }

  async get(url: string): Promise<void> {
    if (url === this.suiteBaseUrl) await openList(this.page, this.list);
    else await this.page.goto(url);
  }

  async quit(): Promise<void> {
    await this.list.context.close();
  }

  async findElements(by: By): Promise<WebElement[]> {
    await this.loads.idle();
    // A click whose page load began after the check above: wait for it, and look again.
    const found = await this.page.$$(by.css).catch(async () => {
      await this.loads.settled();
      return this.page.$$(by.css);
    });
    return found.map((handle, index) => new WebElement(this.page, handle, this.loads, async () => (await this.page.$$(by.css))[index] ?? null));
  }

  /** Runs the script as a function body, with `arguments` the given values (elements as elements). */
  async executeScript(script: string, ...args: unknown[]): Promise<unknown> {
    // A string evaluated by the DevTools protocol, not eval in the page: the app's CSP forbids that.
    const fn = await this.page.evaluateHandle(`(function () { ${script} })`);
    const values = args.map((arg) => (arg instanceof WebElement ? arg.handle : arg));
    return fn.evaluate((f, list) => (f as (...a: unknown[]) => unknown)(...list), values);
  }

  navigate() {
    // A history step in a single-page app loads its data after the URL changed (React Router
    // fetches the route's loader); WebDriver returns once a page has loaded, so the shim returns
    // once the network has been quiet for a moment, as after a load.
    return {
      back: queuedFunction(this.queue, async () => {
        await this.page.goBack();
        await this.loads.quiet();
      }),
    };
  }

  manage() {
    return { logs: () => ({ get: queuedFunction(this.queue, async (_type: string) => this.console.splice(0)) }) };
  }

  wait<T>(condition: Condition<T> | (() => unknown), timeout: number, message?: string): WaitResult<T> {
    const poll = async (): Promise<T> => {
      const deadline = Date.now() + timeout;
      for (;;) {
        const value = typeof condition === 'function' ? await condition() : await condition.test(this);
        if (value) return value as T;
        if (Date.now() > deadline) {
          const what = typeof condition === 'function' ? 'condition' : condition.description;
          throw new Error(`${message ?? 'Wait timed out'} (waited ${timeout} ms for ${what})`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    const result: WaitResult<T> = subtask(poll());
    // `waitForElement(css).click()`: the element's commands on the promise of it.
    result.click = () => subtask(result.then((element) => (element as WebElement).click()));
    result.sendKeys = (...keys: string[]) => subtask(result.then((element) => (element as WebElement).sendKeys(...keys)));
    return result;
  }
}

/**
 * The part of `@playwright/test` that demo-todo-app.spec.ts uses, over playwright-core and
 * Vitest (the alias in vitest.config.ts points the spec's import here).
 *
 * Importing the spec only records its tree (describes, tests, hooks); playwright-spec.test.ts
 * then registers that tree with Vitest once per mode (with and without JavaScript), handing each
 * test a `page` of its own. `expect` implements the web-first matchers the spec calls, with
 * Playwright's semantics: retried until they pass or time out, text with whitespace normalized,
 * `toHaveClass` with a string matching the whole class attribute, one element for single-element
 * matchers (strict mode).
 */
import type { Locator, Page } from 'playwright-core';

export type { Page };

export interface Fixtures {
  page: Page;
}
export type Body = (fixtures: Fixtures) => Promise<void>;

export type SpecNode =
  | { kind: 'describe'; title: string; children: SpecNode[] }
  | { kind: 'test'; title: string; body: Body }
  | { kind: 'beforeEach' | 'afterEach'; body: Body };

const root: SpecNode & { kind: 'describe' } = { kind: 'describe', title: '', children: [] };
let current = root;

/** The spec's tree, as its import recorded it. */
export function recordedSpec(): SpecNode & { kind: 'describe' } {
  return root;
}

function testFn(title: string, body: Body): void {
  current.children.push({ kind: 'test', title, body });
}

export const test = Object.assign(testFn, {
  describe(title: string, define: () => void): void {
    const node: SpecNode & { kind: 'describe' } = { kind: 'describe', title, children: [] };
    current.children.push(node);
    const parent = current;
    current = node;
    try {
      define();
    } finally {
      current = parent;
    }
  },
  beforeEach(body: Body): void {
    current.children.push({ kind: 'beforeEach', body });
  },
  afterEach(body: Body): void {
    current.children.push({ kind: 'afterEach', body });
  },
  /** A report grouping in Playwright's runner; here it only runs its body. */
  async step<T>(_title: string, body: () => Promise<T>): Promise<T> {
    return body();
  },
});

/**
 * Playwright's default is 5 s; the suites share two cores with other work here, and a change
 * without JavaScript is a full form post and page load.
 */
export const EXPECT_TIMEOUT = 10_000;

interface Verdict {
  pass: boolean;
  /** What was found, for the failure message. */
  received: unknown;
}

type Expected = string | RegExp;

function normalize(text: string): string {
  return text.replace(/[\u200b\u00ad]/g, '').replace(/\s+/g, ' ').trim();
}

function textMatches(actual: string, expected: Expected, substring: boolean): boolean {
  if (expected instanceof RegExp) return expected.test(normalize(actual));
  const [a, e] = [normalize(actual), normalize(expected)];
  return substring ? a.includes(e) : a === e;
}

function classMatches(actual: string, expected: Expected): boolean {
  return expected instanceof RegExp ? expected.test(actual) : normalize(actual) === normalize(expected);
}

/** Fails unless the locator matches exactly one element (Playwright's strict mode). */
async function single(locator: Locator): Promise<Locator> {
  const count = await locator.count();
  if (count !== 1) throw new Error(`strict mode: ${locator} resolved to ${count} elements`);
  return locator;
}

async function texts(locator: Locator): Promise<string[]> {
  return locator.evaluateAll((elements) => elements.map((element) => element.textContent ?? ''));
}

async function classes(locator: Locator): Promise<string[]> {
  return locator.evaluateAll((elements) => elements.map((element) => element.getAttribute('class') ?? ''));
}

function listMatches(actual: string[], expected: readonly Expected[], match: (a: string, e: Expected) => boolean): boolean {
  return actual.length === expected.length && actual.every((value, index) => match(value, expected[index] as Expected));
}

/** Retries `check` until its verdict (negated for `.not`) holds or the time is up. */
async function retry(description: string, isNot: boolean, check: () => Promise<Verdict>): Promise<void> {
  const deadline = Date.now() + EXPECT_TIMEOUT;
  let last: Verdict | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await check();
      lastError = undefined;
      if (last.pass !== isNot) return;
    } catch (error) {
      // A page in the middle of a navigation (a form post without JavaScript) has no elements for a moment.
      lastError = error;
    }
    if (Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const reason = lastError instanceof Error ? lastError.message : `received ${JSON.stringify(last?.received)}`;
  throw new Error(`expect(locator)${isNot ? '.not' : ''}.${description} failed after ${EXPECT_TIMEOUT} ms: ${reason}`);
}

function matchers(locator: Locator, isNot: boolean) {
  const run = (description: string, check: () => Promise<Verdict>) => retry(description, isNot, check);
  return {
    toHaveText: (expected: Expected | readonly Expected[]) =>
      run(`toHaveText(${String(expected)})`, async () => {
        if (typeof expected === 'string' || expected instanceof RegExp) {
          const [text = ''] = await texts(await single(locator));
          return { pass: textMatches(text, expected, false), received: text };
        }
        const actual = await texts(locator);
        return { pass: listMatches(actual, expected, (a, e) => textMatches(a, e, false)), received: actual };
      }),
    toContainText: (expected: Expected) =>
      run(`toContainText(${String(expected)})`, async () => {
        const [text = ''] = await texts(await single(locator));
        return { pass: textMatches(text, expected, true), received: text };
      }),
    toHaveClass: (expected: Expected | readonly Expected[]) =>
      run(`toHaveClass(${String(expected)})`, async () => {
        if (typeof expected === 'string' || expected instanceof RegExp) {
          const [value = ''] = await classes(await single(locator));
          return { pass: classMatches(value, expected), received: value };
        }
        const actual = await classes(locator);
        return { pass: listMatches(actual, expected, classMatches), received: actual };
      }),
    toHaveValue: (expected: Expected) =>
      run(`toHaveValue(${String(expected)})`, async () => {
        const value = await (await single(locator)).inputValue({ timeout: 1000 });
        return { pass: expected instanceof RegExp ? expected.test(value) : value === expected, received: value };
      }),
    toHaveCount: (expected: number) =>
      run(`toHaveCount(${expected})`, async () => {
        const count = await locator.count();
        return { pass: count === expected, received: count };
      }),
    toBeEmpty: () =>
      run('toBeEmpty()', async () => {
        const value = await (await single(locator)).evaluate((element) =>
          element instanceof HTMLInputElement || element instanceof HTMLTextAreaElement ? element.value : (element.textContent ?? '').trim(),
        );
        return { pass: value === '', received: value };
      }),
    toBeChecked: () =>
      run('toBeChecked()', async () => {
        const checked = await (await single(locator)).isChecked({ timeout: 1000 });
        return { pass: checked, received: checked };
      }),
    // Zero matching elements count as hidden, as in Playwright.
    toBeVisible: () =>
      run('toBeVisible()', async () => {
        const visible = (await locator.count()) === 0 ? false : await (await single(locator)).isVisible();
        return { pass: visible, received: visible };
      }),
    toBeHidden: () =>
      run('toBeHidden()', async () => {
        const visible = (await locator.count()) === 0 ? false : await (await single(locator)).isVisible();
        return { pass: !visible, received: visible ? 'visible' : 'hidden' };
      }),
  };
}

export function expect(locator: Locator) {
  return { ...matchers(locator, false), not: matchers(locator, true) };
}

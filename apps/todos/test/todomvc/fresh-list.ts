/**
 * What every vendored case starts from: a new list, and a browser context signed in to it as its
 * owner. The suites' own start URL (a demo site, a file path) is replaced by this list's address.
 */
import { createList, uniqueName } from '../http';
import type { Browser, BrowserContext, Page } from '../browser';

export interface FreshList {
  readonly name: string;
  /** The list's page: the suites' start URL. */
  readonly url: string;
  readonly context: BrowserContext;
  readonly javaScript: boolean;
}

export async function freshList(browser: Browser, base: string, javaScript: boolean): Promise<FreshList> {
  const name = uniqueName('mvc');
  const cookie = await createList(base, name);
  const context = await browser.newContext({ javaScriptEnabled: javaScript });
  const value = cookie.slice('silo_session='.length);
  // The session cookie is scoped to the list (and its `.data` twin, React Router's data requests).
  await context.addCookies(
    [`/t/${name}`, `/t/${name}.data`].map((path) => ({ name: 'silo_session', value, domain: new URL(base).hostname, path, httpOnly: true, sameSite: 'Lax' as const })),
  );
  return { name, url: `${base}/t/${name}`, context, javaScript };
}

/** Opens the list; with JavaScript, waits until React has hydrated it (before, a key press would post the form). */
export async function openList(page: Page, list: FreshList): Promise<void> {
  await page.goto(list.url);
  if (list.javaScript) await page.waitForSelector('html[data-hydrated]');
}

export interface StoredTodo {
  id: number;
  title: string;
  completed: boolean;
}

/**
 * The list's todos as the server stores them, from the owner's JSON export: what the suites
 * read from localStorage in a browser-only TodoMVC.
 */
export async function storedTodos(list: FreshList): Promise<StoredTodo[]> {
  const response = await list.context.request.get(`${list.url}/export.json`);
  if (!response.ok()) throw new Error(`The JSON export answered ${response.status()}: ${await response.text()}`);
  const body = (await response.json()) as { todos: StoredTodo[] };
  return body.todos.map(({ id, title, completed }) => ({ id, title, completed }));
}

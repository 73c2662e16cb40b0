/**
 * Which in-flight adds the page's rows already hold (optimistic.ts storedAdds): the page can
 * reload between an add's commit and its answer, and the todo must then show once, as its row.
 * The browser case is in todomvc.test.ts; these are the rules, one by one.
 */
import { describe, expect, it } from 'vitest';
import { storedAdds, type InFlightAdd } from '../app/routes/list/optimistic';

const row = (id: number, title: string) => ({ id, title, completed: false });
const add = (key: string, title: string, sentAbove: number, addedId: number | null = null, shownAs: number | null = null): InFlightAdd => ({
  key,
  title,
  sentAbove,
  addedId,
  shownAs,
});

describe('storedAdds', () => {
  it('gives an unanswered add the first row above the ids it was sent after that has its title', () => {
    const rows = [row(1, 'milk'), row(2, 'bread'), row(3, 'milk')];
    expect(storedAdds(rows, [add('a', 'milk', 2)], new Set())).toEqual(new Map([['a', 3]]));
  });

  it('never gives it a row that was there before it was sent, even with its title', () => {
    const rows = [row(1, 'milk'), row(2, 'bread')];
    expect(storedAdds(rows, [add('a', 'milk', 2)], new Set()).size).toBe(0);
  });

  it('gives two adds of one title a row each, and a third none while its row is not in yet', () => {
    const rows = [row(1, 'old'), row(2, 'milk'), row(3, 'milk')];
    const adds = [add('a', 'milk', 1), add('b', 'milk', 1), add('c', 'milk', 1)];
    expect(storedAdds(rows, adds, new Set())).toEqual(
      new Map([
        ['a', 2],
        ['b', 3],
      ]),
    );
  });

  it('an answered add names its row, which then belongs to no other add', () => {
    const rows = [row(1, 'old'), row(2, 'milk'), row(3, 'milk')];
    // b's answer says 2: a (unanswered, same title) gets 3, not 2.
    const adds = [add('a', 'milk', 1), add('b', 'milk', 1, 2)];
    expect(storedAdds(rows, adds, new Set())).toEqual(
      new Map([
        ['b', 2],
        ['a', 3],
      ]),
    );
  });

  it('an answered add whose row the page does not hold yet stays pending, and its id stays taken', () => {
    const rows = [row(1, 'old'), row(2, 'milk')];
    expect(storedAdds(rows, [add('b', 'milk', 1, 5)], new Set()).size).toBe(0);
    expect(storedAdds(rows, [add('a', 'milk', 1), add('b', 'milk', 1, 2)], new Set())).toEqual(new Map([['b', 2]]));
  });

  it('keeps an add settled once its row was shown, when the row goes before its answer (deleted)', () => {
    // The page showed row 2 for a; a destroy of row 2 then reloaded the page without it.
    const rows = [row(1, 'old')];
    expect(storedAdds(rows, [add('a', 'milk', 1, null, 2)], new Set())).toEqual(new Map([['a', 2]]));
    expect(storedAdds(rows, [add('a', 'milk', 1, 2, 2)], new Set())).toEqual(new Map([['a', 2]]));
  });

  it('does not let an add whose row was shown and has gone take another row of its title', () => {
    const rows = [row(1, 'old'), row(3, 'milk')];
    expect(storedAdds(rows, [add('a', 'milk', 1, null, 2), add('b', 'milk', 1)], new Set())).toEqual(
      new Map([
        ['a', 2],
        ['b', 3],
      ]),
    );
  });

  it('leaves rows of earlier, settled adds to them', () => {
    const rows = [row(1, 'old'), row(2, 'milk'), row(3, 'milk')];
    expect(storedAdds(rows, [add('a', 'milk', 1)], new Set([2]))).toEqual(new Map([['a', 3]]));
  });
});

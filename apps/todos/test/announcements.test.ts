/**
 * What the list's live region says for each change (announcements.tsx changeMessage). What a
 * browser hears, once per change, is in todomvc.test.ts; these are the wordings one by one.
 */
import { describe, expect, it } from 'vitest';
import { changeMessage } from '../app/routes/list/announcements';
import type { ViewTodo } from '../app/routes/list/optimistic';

const todo = (id: number, title: string, completed = false): ViewTodo => ({ key: String(id), id, title, completed });
const page = [todo(1, 'buy milk'), todo(2, 'walk the dog', true), todo(3, 'feed the cat')];
const counts = { total: 3, completed: 1 };

describe('changeMessage', () => {
  it('names the todo and the items left after the change', () => {
    expect(changeMessage({ intent: 'add', title: 'call mum' }, page, counts, true)).toBe('Added “call mum”. Items left: 3.');
    expect(changeMessage({ intent: 'toggle', id: 1, completed: true }, page, counts, true)).toBe('“buy milk” completed. Items left: 1.');
    expect(changeMessage({ intent: 'toggle', id: 2, completed: false }, page, counts, true)).toBe('“walk the dog” marked as not completed. Items left: 3.');
    expect(changeMessage({ intent: 'destroy', id: 3 }, page, counts, true)).toBe('Deleted “feed the cat”. Items left: 1.');
    expect(changeMessage({ intent: 'edit', id: 1, title: 'buy oat milk' }, page, counts, true)).toBe('Changed to “buy oat milk”.');
  });

  it('says an emptied title deletes the todo, as the action does', () => {
    expect(changeMessage({ intent: 'edit', id: 1, title: '' }, page, counts, true)).toBe('Deleted “buy milk”. Items left: 1.');
  });

  it('counts the whole list, not the page, for all-completed and clear completed', () => {
    const long = { total: 120, completed: 20 };
    expect(changeMessage({ intent: 'toggle-all', completed: true }, page, long, false)).toBe('All todos completed. Items left: 0.');
    expect(changeMessage({ intent: 'toggle-all', completed: false }, page, long, false)).toBe('All todos marked as not completed. Items left: 120.');
    expect(changeMessage({ intent: 'clear-completed' }, page, long, false)).toBe('Cleared 20 completed todos. Items left: 100.');
    expect(changeMessage({ intent: 'clear-completed' }, page, counts, true)).toBe('Cleared 1 completed todo. Items left: 2.');
  });

  it('says where a todo added from an earlier page of a long list went', () => {
    expect(changeMessage({ intent: 'add', title: 'call mum' }, page, counts, false)).toBe('Added “call mum” at the end of the list. Items left: 3.');
  });

  it('cuts a long title, and words a todo the page does not show', () => {
    const long = 'x'.repeat(1000);
    expect(changeMessage({ intent: 'add', title: long }, page, counts, true)).toBe(`Added “${'x'.repeat(59)}…”. Items left: 3.`);
    expect(changeMessage({ intent: 'toggle', id: 99, completed: true }, page, counts, true)).toBe('A todo completed. Items left: 2.');
    expect(changeMessage({ intent: 'destroy', id: 99 }, page, counts, true)).toBe('Deleted a todo. Items left: 2.');
  });
});

import type { Fleet } from '@silo/fleet';

/**
 * Whether `name` is a list a visitor can sign in to (ready, or briefly unavailable while it
 * is moved or set up): the same fact the sign-up form already tells ("is taken") and /t/<name>
 * answers, so looking a list up by name reveals nothing more.
 */
export function listExists(fleet: Fleet, name: string): boolean {
  const state = fleet.find(name)?.state;
  return state !== undefined && state !== 'deleted' && state !== 'failed';
}

/** A list name as typed into a form: the names are lowercase, so "My-List " finds my-list. */
export function normalizeListName(value: unknown): string {
  return typeof value === 'string' ? value.trim().toLowerCase() : '';
}

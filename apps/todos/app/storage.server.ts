import { isSiloError } from '@silo/fleet';
import { data } from 'react-router';

/**
 * A full disk on the server (DISK_FULL) as the TODO app tells its users: 507 Insufficient
 * Storage with a message of its own. The fleet's message names server folders, which are for
 * the operator (the admin, the CLI and /readyz show them), not for visitors.
 */
export const STORAGE_FULL_STATUS = 507;

export const STORAGE_FULL_SIGN_UP =
  'Our server is out of storage space, so your list could not be created. Nothing was saved; please try again later.';

export const STORAGE_FULL_OPEN =
  'Our server is out of storage space, so this list cannot be opened right now. Its TODOs are safe; please try again later.';

export const STORAGE_FULL_SIGN_IN =
  'Our server is out of storage space, so you cannot be signed in right now. Your list and its TODOs are safe; please try again later.';

export function isStorageFull(error: unknown): boolean {
  // A seed (the owner's first rows) refused by a full disk fails the create as SEED_FAILED.
  if (isSiloError(error, 'SEED_FAILED')) return isStorageFull(error.cause);
  return isSiloError(error, 'DISK_FULL');
}

/** Rethrows a full disk as a 507 page with `message`; anything else unchanged. */
export function rethrowStorageFull(error: unknown, message: string): never {
  if (isStorageFull(error)) throw data({ message }, { status: STORAGE_FULL_STATUS, statusText: 'Insufficient Storage' });
  throw error;
}

export const LIST_SIZE_LIMIT =
  'This list has reached its storage limit, so the change was not saved. Delete some todos (or clear completed ones) to make room.';

export const STORAGE_FULL_WRITE = 'Our server is out of storage space, so the change was not saved. Please try again later.';

/**
 * What a user is told when a write to their list was refused for space: the list's own size cap
 * (SIZE_LIMIT_EXCEEDED: theirs to resolve by deleting) or a full server disk (DISK_FULL: ours).
 * Undefined for any other error. Either way nothing was written; the answer is 507.
 */
export function storageRefusal(error: unknown): string | undefined {
  if (isSiloError(error, 'SIZE_LIMIT_EXCEEDED')) return LIST_SIZE_LIMIT;
  if (isStorageFull(error)) return STORAGE_FULL_WRITE;
  return undefined;
}

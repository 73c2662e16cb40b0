import type { ApiToken, ApiTokenScope, Fleet, InstanceDetails } from '@silo/fleet';
import { SiloError, isSiloError, validateName } from '@silo/fleet';
import { instanceNotFound } from '@silo/fleet/internal';
import { ApiError } from './errors';

/** What every route reads from Hono's context: the caller's token and the actor the audit log names. */
export interface ApiEnv {
  Variables: { token: ApiToken; actor: string };
}

const RANK: Readonly<Record<ApiTokenScope, number>> = { read: 0, write: 1, admin: 2 };

export function requireScope(token: ApiToken, needed: ApiTokenScope): void {
  if (RANK[token.scope] < RANK[needed]) {
    throw new ApiError('FORBIDDEN', `This call needs a token with the ${needed} scope; this token has ${token.scope}.`);
  }
}

/**
 * The instance as this token may see it: one outside the token's jurisdiction is answered as
 * absent, so a scoped token cannot learn which names other jurisdictions use.
 */
export function visibleInstance(fleet: Fleet, token: ApiToken, name: string): InstanceDetails {
  let instance: InstanceDetails;
  try {
    instance = fleet.require(name);
  } catch (error) {
    // A name no instance could have breaks the document's pattern: 422 INVALID_NAME, as in a body.
    if (isSiloError(error, 'INSTANCE_NOT_FOUND')) validateName(name);
    throw error;
  }
  // The same error, word for word, as for a name no instance has.
  if (token.jurisdiction !== null && instance.jurisdiction !== token.jurisdiction) throw instanceNotFound(name);
  return instance;
}

/** A jurisdiction the caller names must be the token's own, when it has one. */
export function assertJurisdiction(token: ApiToken, jurisdiction: string | undefined): void {
  if (token.jurisdiction !== null && jurisdiction !== undefined && jurisdiction !== token.jurisdiction) {
    throw new SiloError('JURISDICTION_VIOLATION', `This token is limited to the jurisdiction "${token.jurisdiction}".`, {
      details: { jurisdiction, allowed: [token.jurisdiction] },
    });
  }
}

/** Fleet-wide calls with no instance filter (the whole audit log) are for unscoped tokens. */
export function requireUnscoped(token: ApiToken, what: string): void {
  if (token.jurisdiction !== null) {
    throw new SiloError('JURISDICTION_VIOLATION', `A token limited to "${token.jurisdiction}" cannot read ${what}; name an instance.`, {
      details: { allowed: [token.jurisdiction] },
    });
  }
}


/**
 * Runs `work`, which takes a name. Names are one namespace across the fleet, so a scoped token
 * learns that a name is taken wherever it is held; the holder's state (deleted, provisioning,
 * ready), like anything else about it, is told only when the holder is in the token's
 * jurisdiction. An unscoped token is told it always.
 */
export async function takingName<T>(fleet: Fleet, token: ApiToken, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (token.jurisdiction === null || !isSiloError(error, 'NAME_TAKEN')) throw error;
    const { name, state } = error.details ?? {};
    // Neither a name nor a state: the error describes no holder (a clone that found no free name).
    if (name === undefined && state === undefined) throw error;
    if (name !== undefined && fleet.find(name)?.jurisdiction === token.jurisdiction) throw error;
    if (name === undefined) throw new SiloError('NAME_TAKEN', 'The name is taken. Choose another name.');
    throw new SiloError('NAME_TAKEN', `The name "${name}" is taken. Choose another name.`, { details: { name } });
  }
}

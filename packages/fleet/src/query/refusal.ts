import { SiloError } from '../errors';
import type { Refusal } from './statement-guard.mjs';

export type { Refusal };

/** The guard's verdict as the error callers branch on; `details.refused` names the statement kind. */
export function refusalError(refusal: Refusal): SiloError {
  return new SiloError(refusal.code, refusal.message, { details: { refused: refusal.refused } });
}

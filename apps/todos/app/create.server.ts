import { isSiloError, validateName, type Fleet } from '@silo/fleet';
import { AnswerOnce, hashPassword, passwordProblem, verifyPassword } from '@silo/web';
import { redirect } from 'react-router';
import { z } from 'zod';
import { createSession } from './auth.server';
import { STORAGE_FULL_SIGN_UP, isStorageFull } from './storage.server';
import { EMAIL_MAX_LENGTH } from './forms';

export interface CreateValues {
  name: string;
  email: string;
  jurisdiction: string;
}

export type CreateErrors = Partial<Record<keyof CreateValues | 'password' | 'form', string>>;

const emailSchema = z.email().max(EMAIL_MAX_LENGTH);

/**
 * Submissions of one rendered form share a nonce. A repeated submit of the same form (double
 * click, reload of the POST) waits for the first one and then signs in instead of reporting
 * the name as taken. Entries live in memory for ten minutes: one process serves the app. Only
 * a list made is remembered (past the cap, the oldest first: ten thousand sign-ups in ten
 * minutes is far beyond this app's pace); a refused submit can be sent again.
 */
const submissions = new AnswerOnce({ ttlMs: 10 * 60 * 1000, maxEntries: 10_000 });

export function validateCreate(values: CreateValues, password: string, jurisdictions: readonly string[]): CreateErrors {
  const errors: CreateErrors = {};
  try {
    validateName(values.name);
  } catch (error) {
    errors.name = isSiloError(error) ? error.message : 'This name cannot be used.';
  }
  if (!emailSchema.safeParse(values.email).success) errors.email = 'Enter a valid email address.';
  const problem = passwordProblem(password);
  if (problem) errors.password = problem;
  if (!jurisdictions.includes(values.jurisdiction)) errors.jurisdiction = 'Choose where your data is kept.';
  return errors;
}

/** Creates the instance and its owner and signs them in; returns errors, or throws the redirect. */
export async function createList(fleet: Fleet, request: Request, values: CreateValues, password: string, nonce: string): Promise<CreateErrors> {
  const create = () => createAndSignIn(fleet, request, values, password);
  // Keyed by name too: the same form sent again with another name is a list of its own.
  const answer = nonce ? await submissions.answer([nonce, values.name], create, isSignedIn) : { outcome: await create(), repeat: false };
  // A repeat of a post that made the list signs in with a session of its own, if it is the
  // owner's; with other credentials it tries to create the list, and hears the name is taken.
  const outcome = answer.repeat ? ((await signInOwner(fleet, request, values, password)) ?? (await create())) : answer.outcome;
  if (isSignedIn(outcome)) throw outcome;
  return outcome;
}

/** The redirect into a new list, signed in: a create that succeeded. */
function isSignedIn(outcome: Response | CreateErrors): outcome is Response {
  return outcome instanceof Response;
}

async function createAndSignIn(fleet: Fleet, request: Request, values: CreateValues, password: string): Promise<Response | CreateErrors> {
  const passwordHash = await hashPassword(password);
  // The owner and their first session are the list's seed: written inside provisioning, so
  // the list becomes ready with its owner or not at all (a crash never leaves a list nobody
  // can sign in to, its name taken for good).
  const seeded: { cookie?: Headers } = {};
  try {
    await fleet.create(values.name, {
      jurisdiction: values.jurisdiction,
      displayName: values.name,
      seed: async (db) => {
        const { lastInsertRowid } = await db.execute(
          "INSERT INTO users (email, password_hash, role, created_at) VALUES (?, ?, 'owner', ?)",
          [values.email, passwordHash, Date.now()],
        );
        seeded.cookie = await createSession(request, values.name, db, Number(lastInsertRowid));
      },
    });
  } catch (error) {
    if (isSiloError(error, 'NAME_TAKEN')) return { name: `The name "${values.name}" is taken. Choose another one.` };
    if (isSiloError(error, 'INVALID_NAME')) return { name: error.message };
    if (isSiloError(error, 'UNKNOWN_JURISDICTION')) return { jurisdiction: 'Choose where your data is kept.' };
    if (isStorageFull(error)) return { form: STORAGE_FULL_SIGN_UP };
    throw error;
  }
  fleet.touch(values.name, { todos: 0, completed: 0 });
  // The redirect opens the list next: open it now, so its handle is warm (as before seeds).
  await fleet.withInstance(values.name, () => Promise.resolve()).catch(() => undefined);
  return redirect(`/t/${values.name}`, seeded.cookie ? { headers: seeded.cookie } : undefined);
}

async function signInOwner(fleet: Fleet, request: Request, values: CreateValues, password: string): Promise<Response | undefined> {
  return fleet.withInstance(values.name, async (db) => {
    const { rows } = await db.execute("SELECT id, password_hash FROM users WHERE email = ? AND role = 'owner'", [values.email]);
    const row = rows[0];
    if (!row || !(await verifyPassword(String(row['password_hash']), password))) return undefined;
    const cookie = await createSession(request, values.name, db, Number(row['id']));
    return redirect(`/t/${values.name}`, { headers: cookie });
  });
}

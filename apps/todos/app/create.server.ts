import { isSiloError, validateName, type Fleet } from '@silo/fleet';
import { hashPassword, hashToken, passwordProblem, verifyPassword } from '@silo/web';
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
 * the name as taken. Entries live in memory for ten minutes: one process serves the app.
 */
const submissions = new Map<string, { name: string; done: Promise<boolean>; at: number }>();
const SUBMISSION_TTL_MS = 10 * 60 * 1000;

function prune(now: number): void {
  for (const [key, entry] of submissions) if (now - entry.at > SUBMISSION_TTL_MS) submissions.delete(key);
}

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
  const now = Date.now();
  prune(now);
  const key = nonce ? hashToken(nonce) : '';
  const previous = key ? submissions.get(key) : undefined;
  if (previous && previous.name === values.name && (await previous.done)) {
    const signedIn = await signInOwner(fleet, request, values, password);
    if (signedIn) throw signedIn;
  }

  let settle: (created: boolean) => void = () => undefined;
  const done = new Promise<boolean>((resolve) => (settle = resolve));
  if (key) submissions.set(key, { name: values.name, done, at: now });
  try {
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
    settle(true);
    throw redirect(`/t/${values.name}`, seeded.cookie ? { headers: seeded.cookie } : undefined);
  } finally {
    settle(false);
  }
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

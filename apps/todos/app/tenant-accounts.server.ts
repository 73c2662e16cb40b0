import type { TenantConnection } from '@silo/fleet';
import { hashToken, randomToken, verifyPassword } from '@silo/web';
import { INVITE_TTL_MS, RESET_TTL_MS } from './auth.server';

/**
 * The account lifecycle of one list's users (issue #18), as SQL on the list's own database.
 *
 * Every change re-checks, inside its transaction, the roles it depends on (the acting owner is
 * still the owner, the target still a member): the viewer was looked up before the request ran
 * and two submits of one form may run at once. A list therefore always has exactly one owner:
 * only a member is ever removed or leaves, and the owner role only moves in one transaction
 * that makes the member the owner and the owner a member.
 */

type Db = TenantConnection;

const OWNER_IS = "EXISTS (SELECT 1 FROM users WHERE id = ? AND role = 'owner')";
const MEMBER_IS = "EXISTS (SELECT 1 FROM users WHERE id = ? AND role = 'member')";

export interface MemberRow {
  readonly id: number;
  readonly email: string;
  readonly role: 'owner' | 'member';
  /** A password-reset link for this member is open (not used, not expired). */
  readonly resetOpen: boolean;
}

export async function listMembers(db: Db, limit: number, now = Date.now()): Promise<MemberRow[]> {
  const { rows } = await db.execute(
    `SELECT u.id, u.email, u.role,
            EXISTS (SELECT 1 FROM password_resets r WHERE r.user_id = u.id AND r.used_at IS NULL AND r.expires_at > ?) AS reset_open
       FROM users u ORDER BY u.created_at, u.id LIMIT +?`,
    [now, limit],
  );
  return rows.map((row) => ({
    id: Number(row['id']),
    email: String(row['email']),
    role: row['role'] === 'owner' ? 'owner' : 'member',
    resetOpen: Number(row['reset_open']) === 1,
  }));
}

export interface OpenInvite {
  /** The stored hash of the link's token: names the invite in forms, and is no credential. */
  readonly id: string;
  readonly createdAt: number;
  readonly expiresAt: number;
}

export const OPEN_INVITES_SQL = 'SELECT 1 FROM invites WHERE accepted_at IS NULL AND expires_at > ?';

export async function listOpenInvites(db: Db, limit: number, now = Date.now()): Promise<OpenInvite[]> {
  const { rows } = await db.execute(
    'SELECT token_hash, created_at, expires_at FROM invites WHERE accepted_at IS NULL AND expires_at > ? ORDER BY created_at, token_hash LIMIT +?',
    [now, limit],
  );
  return rows.map((row) => ({ id: String(row['token_hash']), createdAt: Number(row['created_at']), expiresAt: Number(row['expires_at']) }));
}

/** count(*) that stops at `cap` rows: its cost is bounded whatever the table holds. `LIMIT +?`: ADR 39. */
export async function countUpTo(db: Db, select: string, args: (string | number)[], cap: number): Promise<number> {
  const { rows } = await db.execute(`SELECT count(*) AS n FROM (${select} LIMIT +?)`, [...args, cap]);
  return Number(rows[0]?.['n'] ?? 0);
}

export type InviteOutcome = { token: string } | { error: 'members-full' | 'invites-full' };

/** A new invite link's token, unless the list or its open invites are at their limit. */
export async function createInvite(db: Db, ownerId: number, limits: { maxMembers: number; maxOpenInvites: number }, now = Date.now()): Promise<InviteOutcome> {
  if ((await countUpTo(db, 'SELECT 1 FROM users', [], limits.maxMembers)) >= limits.maxMembers) return { error: 'members-full' };
  if ((await countUpTo(db, OPEN_INVITES_SQL, [now], limits.maxOpenInvites)) >= limits.maxOpenInvites) return { error: 'invites-full' };
  const token = randomToken();
  await db.execute('INSERT INTO invites (token_hash, created_by, created_at, expires_at) VALUES (?, ?, ?, ?)', [hashToken(token), ownerId, now, now + INVITE_TTL_MS]);
  return { token };
}

/** Ends an open invite link; false when it was used, had expired or was revoked already. */
export async function revokeInvite(db: Db, ownerId: number, inviteId: string, now = Date.now()): Promise<boolean> {
  const { rowsAffected } = await db.execute(`DELETE FROM invites WHERE token_hash = ? AND accepted_at IS NULL AND expires_at > ? AND ${OWNER_IS}`, [
    inviteId,
    now,
    ownerId,
  ]);
  return rowsAffected === 1;
}

/**
 * Deletes a member with everything that acts for them: their sessions (they are signed out on
 * their next request), their reset links, and the links they issued while they were the owner.
 * Sessions are deleted explicitly: foreign keys cascade only where the engine enforces them.
 */
async function deleteMember(db: Db, memberId: number, guard: { sql: string; args: number[] }): Promise<boolean> {
  const where = `${MEMBER_IS} AND ${guard.sql}`;
  const args = [memberId, ...guard.args];
  const results = await db.batch([
    { sql: `DELETE FROM sessions WHERE user_id = ? AND ${where}`, args: [memberId, ...args] },
    { sql: `DELETE FROM password_resets WHERE (user_id = ? OR created_by = ?) AND ${where}`, args: [memberId, memberId, ...args] },
    { sql: `DELETE FROM invites WHERE created_by = ? AND ${where}`, args: [memberId, ...args] },
    { sql: `DELETE FROM users WHERE id = ? AND ${where}`, args: [memberId, ...args] },
  ]);
  return results[3]?.rowsAffected === 1;
}

/** The owner removes a member; false when `memberId` is no member (the owner, or gone already). */
export function removeMember(db: Db, ownerId: number, memberId: number): Promise<boolean> {
  return deleteMember(db, memberId, { sql: OWNER_IS, args: [ownerId] });
}

/** A member leaves the list; false for the owner, who hands the role over first. */
export function leaveList(db: Db, userId: number): Promise<boolean> {
  return deleteMember(db, userId, { sql: '1', args: [] });
}

/**
 * Hands the owner role to a member in one transaction: the member becomes the owner only if
 * the owner still is one, and the owner becomes a member only if that happened (changes()).
 * A reset link open for the new owner ends: an owner's password is not reset by links. So do
 * the reset and open invite links the former owner made: they act with the owner's authority,
 * which the former owner no longer has (as when a former owner is removed, deleteMember).
 */
/** The hand-over happened: the member it was for is the owner now. */
const HANDED_OVER = "EXISTS (SELECT 1 FROM users WHERE id = ? AND role = 'owner')";

export async function transferOwnership(db: Db, ownerId: number, memberId: number): Promise<boolean> {
  if (ownerId === memberId) return false;
  const [promoted, demoted] = await db.batch([
    { sql: `UPDATE users SET role = 'owner' WHERE id = ? AND role = 'member' AND ${OWNER_IS}`, args: [memberId, ownerId] },
    { sql: "UPDATE users SET role = 'member' WHERE id = ? AND role = 'owner' AND changes() = 1", args: [ownerId] },
    { sql: 'DELETE FROM password_resets WHERE user_id = ?', args: [memberId] },
    { sql: `DELETE FROM password_resets WHERE created_by = ? AND ${HANDED_OVER}`, args: [ownerId, memberId] },
    { sql: `DELETE FROM invites WHERE created_by = ? AND accepted_at IS NULL AND ${HANDED_OVER}`, args: [ownerId, memberId] },
  ]);
  return promoted?.rowsAffected === 1 && demoted?.rowsAffected === 1;
}

/**
 * A one-time password-reset link's token for a member, replacing any open one; null when
 * `memberId` is no member. Used and expired links of the list are cleared on the way.
 */
export async function issueReset(db: Db, ownerId: number, memberId: number, now = Date.now()): Promise<string | null> {
  const token = randomToken();
  const [, inserted] = await db.batch([
    { sql: `DELETE FROM password_resets WHERE (user_id = ? OR used_at IS NOT NULL OR expires_at <= ?) AND ${OWNER_IS}`, args: [memberId, now, ownerId] },
    {
      sql: `INSERT INTO password_resets (token_hash, user_id, created_by, created_at, expires_at)
            SELECT ?, id, ?, ?, ? FROM users WHERE id = ? AND role = 'member' AND ${OWNER_IS}`,
      args: [hashToken(token), ownerId, now, now + RESET_TTL_MS, memberId, ownerId],
    },
  ]);
  return inserted?.rowsAffected === 1 ? token : null;
}

const OPEN_RESET = `FROM password_resets r JOIN users u ON u.id = r.user_id
  WHERE r.token_hash = ? AND r.used_at IS NULL AND r.expires_at > ? AND u.role = 'member'`;

/** The member an open reset link is for, or null (unknown, used, expired, or now the owner). */
export async function findReset(db: Db, token: string, now = Date.now()): Promise<{ userId: number; email: string } | null> {
  const { rows } = await db.execute(`SELECT u.id, u.email ${OPEN_RESET}`, [hashToken(token), now]);
  const row = rows[0];
  return row ? { userId: Number(row['id']), email: String(row['email']) } : null;
}

/**
 * Uses a reset link up, in one transaction: marks it used, sets the new password and ends every
 * session of the member. Returns the member's id, or null when the link was not open (a second
 * submit of the same form finds it used).
 */
export async function redeemReset(db: Db, token: string, passwordHash: string, now = Date.now()): Promise<number | null> {
  const tokenHash = hashToken(token);
  const userOf = '(SELECT user_id FROM password_resets WHERE token_hash = ?)';
  const [used] = await db.batch([
    {
      sql: `UPDATE password_resets SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?
              AND EXISTS (SELECT 1 FROM users WHERE id = password_resets.user_id AND role = 'member')`,
      args: [now, tokenHash, now],
    },
    { sql: `UPDATE users SET password_hash = ? WHERE id = ${userOf} AND changes() = 1`, args: [passwordHash, tokenHash] },
    { sql: `DELETE FROM sessions WHERE user_id = ${userOf} AND changes() = 1`, args: [tokenHash] },
  ]);
  if (used?.rowsAffected !== 1) return null;
  const { rows } = await db.execute('SELECT user_id FROM password_resets WHERE token_hash = ?', [tokenHash]);
  return rows[0] ? Number(rows[0]['user_id']) : null;
}

/**
 * How long a used link still answers the form that used it: a double submit, or a form sent
 * again after its first answer was lost (the browser dropped it, with the session cookie it
 * carried), signs that person in instead of saying the link is not valid. Only with the email
 * and password the link was used with: what the sign-in page asks for anyway.
 */
export const LINK_REPLAY_MS = 10 * 60 * 1000;

/**
 * The account an invite link created in the last LINK_REPLAY_MS, if it has this email and
 * password (the member and the invite's use share one timestamp, written in one transaction).
 */
export async function recentJoin(db: Db, token: string, email: string, password: string, now = Date.now()): Promise<number | null> {
  const { rows } = await db.execute(
    `SELECT u.id, u.password_hash FROM invites i JOIN users u ON u.created_at = i.accepted_at AND u.email = +?
      WHERE i.token_hash = +? AND i.accepted_at > ?`,
    [email, hashToken(token), now - LINK_REPLAY_MS],
  );
  return verifiedUser(rows[0], password);
}

/** The member a reset link set a new password for in the last LINK_REPLAY_MS, if it is `password`. */
export async function recentReset(db: Db, token: string, password: string, now = Date.now()): Promise<number | null> {
  const { rows } = await db.execute(
    `SELECT u.id, u.password_hash FROM password_resets r JOIN users u ON u.id = r.user_id
      WHERE r.token_hash = +? AND r.used_at > ?`,
    [hashToken(token), now - LINK_REPLAY_MS],
  );
  return verifiedUser(rows[0], password);
}

async function verifiedUser(row: Record<string, unknown> | undefined, password: string): Promise<number | null> {
  if (!row || !(await verifyPassword(String(row['password_hash']), password))) return null;
  return Number(row['id']);
}

/** The stored hash of a user's password (to verify the current one before a change). */
export async function passwordHashOf(db: Db, userId: number): Promise<string | null> {
  const { rows } = await db.execute('SELECT password_hash FROM users WHERE id = ?', [userId]);
  return rows[0] ? String(rows[0]['password_hash']) : null;
}

/**
 * Sets a new password and ends every other session of the user (the current one stays), and
 * any reset link open for them. `previousHash` is the hash the current password was checked
 * against: a change that raced another one is refused rather than applied over it.
 */
export async function changePassword(db: Db, userId: number, keepSessionId: string, previousHash: string, newHash: string): Promise<boolean> {
  const [changed] = await db.batch([
    { sql: 'UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?', args: [newHash, userId, previousHash] },
    { sql: 'DELETE FROM sessions WHERE user_id = ? AND id <> ? AND changes() = 1', args: [userId, keepSessionId] },
    { sql: 'DELETE FROM password_resets WHERE user_id = ? AND (SELECT password_hash FROM users WHERE id = ?) = ?', args: [userId, userId, newHash] },
  ]);
  return changed?.rowsAffected === 1;
}

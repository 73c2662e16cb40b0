/**
 * What a customer's own download of their database must not contain, run on the staged copy
 * (the fleet then rebuilds the file with VACUUM INTO, so the removed bytes are gone): password
 * hashes, session ids and invite and password-reset tokens are credentials, not the customer's data. Todos and
 * member emails and roles stay. A migration (apps/todos/migrations) that adds a secret adds
 * its redaction here.
 */
export const CUSTOMER_EXPORT_REDACTIONS: readonly string[] = [
  'DELETE FROM sessions',
  'DELETE FROM invites',
  'DELETE FROM password_resets',
  "UPDATE users SET password_hash = ''",
];

-- One-time password-reset links an owner issues for a member (issue #18): like invites, only
-- the token's hash is stored, so the database (or a backup of it) never holds a usable link.
-- A member has at most one open link: issuing a new one replaces it.

CREATE TABLE password_resets (
  token_hash  TEXT PRIMARY KEY,
  user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_by  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  used_at     INTEGER
) STRICT;
CREATE INDEX password_resets_user ON password_resets (user_id);

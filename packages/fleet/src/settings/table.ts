import { decimal, flag, httpUrl, integer, matching, oneOf, parsedElsewhere, rule, text, type Rule } from './rules';

/**
 * Every setting Silo reads from the environment, in one table: the README's configuration
 * tables (scripts/settings-docs.ts), `silo --help` and the start-up checks (check.ts) all come
 * from here. It lives in @silo/fleet because every reader (the fleet's own settings, the CLI,
 * `silo serve`, both apps) already depends on it and it depends on nothing of theirs.
 */

/** Which README table a setting is listed in. */
export type SettingGroup = 'fleet' | 'apps' | 'backups' | 'turso' | 'catalog';

export interface Setting<T = unknown> {
  readonly group: SettingGroup;
  readonly rule: Rule<T>;
  /** The value when unset, where it is a plain one (an app composes its schema with it). */
  readonly fallback?: T;
  /** The default as people read it (Markdown); without it, `fallback` in backticks, else "–". */
  readonly defaultText?: string;
  /** Markdown. Its first sentence is the summary `silo --help` shows. */
  readonly meaning: string;
  /** Its value is never echoed, in an error or anywhere else. */
  readonly secret?: boolean;
  /** `silo --help` lists it (every fleet, backups, Turso and catalog setting is listed anyway). */
  readonly cli?: boolean;
}

const GIB = 1024 * 1024 * 1024;
const MIN_INSTANCE_MAX_BYTES = 64 * 1024;

/**
 * The longest time limit a query may have: a day. Timers cannot wait past 2^31 - 1 ms (24.8
 * days; Node fires a longer one at once), and no console query should need more than a day.
 */
export const QUERY_TIMEOUT_MAX_MS = 86_400_000;

/**
 * A check of a SQLite file (an import's validation, an integrity check) may take this many
 * seconds, plus as many again per GiB of the file: a minute for a small file, five for the
 * largest import by default (4 GiB). A day at most, as a query.
 */
export const CHECK_TIMEOUT_DEFAULT_SEC = 60;
export const CHECK_TIMEOUT_MAX_SEC = 86_400;

export const SETTINGS = {
  // ── the fleet: the CLI, both apps and `silo serve` ─────────────────────────────────────────
  SILO_CONFIG: {
    group: 'fleet',
    rule: text(),
    defaultText: 'the nearest `silo.config.*`',
    meaning: "The app's config file (relative to the working folder).",
  },
  SILO_DATA_DIR: {
    group: 'fleet',
    rule: text(),
    defaultText: "the config's `dataDir`, else `data` beside it",
    meaning: 'Catalog, templates and (by default) region folders.',
  },
  SILO_HISTORY: {
    group: 'fleet',
    rule: text(),
    defaultText: '`~/.silo_history`',
    meaning: '`silo shell`: the file its statement history is kept in (owner-only).',
  },
  SILO_REGIONS: {
    group: 'fleet',
    rule: parsedElsewhere('a comma list of `region=jurisdiction` or `region=jurisdiction:/absolute/folder`'),
    defaultText: '`eu-west=eu,eu-central=eu,us-east=us`',
    meaning: 'The regions and the jurisdiction each belongs to, optionally with its own folder.',
  },
  SILO_HANDLE_CAP: {
    group: 'fleet',
    rule: integer(1, 10_000),
    defaultText: 'what the fd limit affords, ≤ 2000',
    meaning:
      'Most tenant databases kept open per process. Each holds 3 file descriptors and 195–310 KB of memory (310 KB in a soak of the TODO app with 2,000 open); set it to at least the number of instances active within a few seconds (evicting and reopening costs a checkpoint, an fsync and a new WAL). The default is `(open-file limit − 512) ÷ 3`, between 50 and 2,000.',
  },
  SILO_RETENTION_DAYS: {
    group: 'fleet',
    rule: decimal(0),
    fallback: 7,
    meaning: 'How long a deleted instance can be undeleted before it is purged.',
  },
  SILO_QUERY_TIMEOUT_MS: { group: 'fleet', rule: integer(10, QUERY_TIMEOUT_MAX_MS), fallback: 5_000, meaning: 'Time limit of console and fleet queries (a day at most).' },
  SILO_QUERY_MAX_ROWS: { group: 'fleet', rule: integer(1), fallback: 1_000, meaning: 'Rows returned before a result is marked truncated.' },
  SILO_QUERY_WORKERS: {
    group: 'fleet',
    rule: integer(1, 64),
    fallback: 2,
    meaning: 'Query processes for one-instance queries (`silo query`, the console, `silo shell`).',
  },
  SILO_QUERY_MAX_MEMORY_BYTES: {
    group: 'fleet',
    rule: integer(128 * 1024 * 1024),
    fallback: 512 * 1024 * 1024,
    defaultText: '`536870912` (512 MiB)',
    meaning:
      'Memory limit of each process that runs tenant SQL: query processes (console, `silo query`, `query-all`) and the libSQL endpoint\'s stream hosts. A statement that takes its process past it (`randomblob(4e8)`, a huge `group_concat`) is stopped with `QUERY_MEMORY_EXCEEDED` (a stream host: `STATEMENT_MEMORY_LIMIT`, and the other streams on that host close, as at the time limit).',
  },
  SILO_CHECK_TIMEOUT_SEC: {
    group: 'fleet',
    rule: integer(1, CHECK_TIMEOUT_MAX_SEC),
    fallback: CHECK_TIMEOUT_DEFAULT_SEC,
    meaning:
      "Time limit of one check of a SQLite file: an import's validation and migration, `doctor --deep`'s integrity check of an instance, and that of a backup point being restored or verified. A check may take this many seconds, plus as many again per GiB of the file (by default 60 s for a small file, 2 min for 1 GiB, 5 min for 4 GiB). A check past it is stopped, its process killed (checks run one after another in one process; those queued behind it go on in a new one): an import is refused with `IMPORT_REJECTED`, an integrity check reports the file as not checked.",
  },
  SILO_FLEET_WORKERS: {
    group: 'fleet',
    rule: integer(1, 64),
    defaultText: 'the CPUs Node may use (`os.availableParallelism()`)',
    meaning:
      'Workers for fleet-wide work on local files: threads that `migrate` runs instances on, and query processes of `query-all` (eight instances per message, each still with its own time limit: ADR 33). Lower it to leave cores to app servers on the same machine.',
  },
  SILO_IMPORT_MAX_BYTES: {
    group: 'fleet',
    rule: integer(1),
    fallback: 4 * GIB,
    defaultText: '`4294967296` (4 GiB)',
    meaning: 'Largest SQLite file `import` accepts (the CLI and the admin console).',
  },
  SILO_INSTANCE_MAX_BYTES: {
    group: 'fleet',
    rule: rule(`an integer, 0 (no cap) or ≥ ${MIN_INSTANCE_MAX_BYTES}`, (raw) => {
      const value = Number(raw);
      return Number.isInteger(value) && (value === 0 || value >= MIN_INSTANCE_MAX_BYTES) ? value : undefined;
    }),
    fallback: GIB,
    defaultText: '`1073741824` (1 GiB)',
    meaning:
      "Size cap of one instance's database, enforced by SQLite (`max_page_count` on every connection that writes) and by Turso's `size_limit`. A write past it fails with `SIZE_LIMIT_EXCEEDED` and changes nothing; a larger import is refused. `0` turns it off.",
  },
  SILO_DISK_WARN_PERCENT: {
    group: 'fleet',
    rule: decimal(0, 100),
    fallback: 5,
    meaning: 'Free-space share below which the admin shows a banner and `/readyz` warns, for the data disk and each backup folder.',
  },
  SILO_AUDIT_RETENTION_DAYS: {
    group: 'fleet',
    rule: decimal(0),
    fallback: 365,
    meaning: 'Audit entries older than this are removed at start-up, by `silo doctor`, and hourly while the log is written. `0` keeps them forever.',
  },
  SILO_AUDIT_MAX_FAILED_SIGNINS: {
    group: 'fleet',
    rule: integer(10),
    fallback: 10_000,
    meaning: 'The most failed admin sign-in entries the audit log keeps (the oldest go first), so a flood cannot grow it without bound.',
  },

  // ── the apps (the TODO app, the admin console) and `silo serve` ────────────────────────────
  PORT: { group: 'apps', rule: integer(0, 65_535), fallback: 3000, meaning: 'Where the TODO app listens (`0`: any free port).' },
  HOST: {
    group: 'apps',
    rule: text(),
    fallback: '127.0.0.1',
    meaning: 'The address the TODO app listens on (`0.0.0.0` for every interface).',
  },
  ADMIN_PORT: { group: 'apps', rule: integer(0, 65_535), fallback: 3001, meaning: 'Where the admin console listens.' },
  ADMIN_HOST: {
    group: 'apps',
    rule: text(),
    fallback: '127.0.0.1',
    meaning: 'The address the admin console listens on; it stays on localhost unless told otherwise.',
  },
  ADMIN_EMAIL: {
    group: 'apps',
    rule: matching(/^[^\s@]+@[^\s@]+$/, 'an email address'),
    fallback: 'admin@localhost',
    meaning: 'The first admin, created on first start.',
  },
  ADMIN_PASSWORD: {
    group: 'apps',
    rule: text(),
    secret: true,
    meaning: "The first admin's password; without it, a one-time password is printed once on first start.",
  },
  LOG_LEVEL: {
    group: 'apps',
    rule: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    fallback: 'info',
    meaning: "The apps' log level (pino's levels).",
  },
  SILO_METRICS_PORT: {
    group: 'apps',
    rule: integer(0, 65_535),
    meaning: "Serve the TODO app's Prometheus metrics at `/metrics` on this port (on `HOST`; `0` picks a free one). Unset: no metrics endpoint.",
  },
  ADMIN_METRICS_PORT: {
    group: 'apps',
    rule: integer(0, 65_535),
    meaning: "The same for the admin console (on `ADMIN_HOST`), with the backup scheduler's figures.",
  },
  SILO_SHUTDOWN_TIMEOUT_MS: {
    group: 'apps',
    rule: integer(0, 3_600_000),
    fallback: 10_000,
    meaning: 'Both apps and `silo serve`: how long requests in flight may take to finish after SIGTERM (and the drain) before their connections are cut.',
  },
  SILO_SHUTDOWN_DRAIN_MS: {
    group: 'apps',
    rule: integer(0, 600_000),
    fallback: 0,
    meaning:
      'Both apps and `silo serve`: how long after SIGTERM the server goes on answering as usual while `/readyz` answers 503, before it stops accepting: set it to your load balancer\'s health-check interval times its failure threshold. 0: stop accepting at once.',
  },
  SILO_APP_URL: {
    group: 'apps',
    rule: httpUrl('{name}'),
    defaultText: "the config's `appUrl`",
    meaning: "Where the admin's \"open app\" links point: a URL with `{name}`, e.g. `https://app.example.com/t/{name}`. Without either, the admin shows no links.",
  },
  SILO_SERVE_URL: {
    group: 'apps',
    rule: httpUrl(),
    defaultText: "`http://127.0.0.1:7070` (`silo serve`'s default address)",
    meaning:
      'Where `silo serve` is reached: `silo show` and the admin\'s instance page print `<SILO_SERVE_URL>/db/<name>`, the URL `@libsql/client` connects to (not the catalog\'s database URL).',
    cli: true,
  },
  TODOS_URL: {
    group: 'apps',
    rule: httpUrl(),
    meaning: "Deprecated alias of `SILO_APP_URL`: the TODO app's base URL (`/t/{name}` is added).",
  },
  SILO_SECRET: {
    group: 'apps',
    rule: text(32),
    secret: true,
    defaultText: 'generated into `data/secret.key` (mode 600)',
    meaning:
      "Server secret for CSRF tokens and the key of `silo serve`'s libSQL tokens. Set the same one on every server that shares a fleet.",
    cli: true,
  },
  SILO_COOKIE_SECURE: {
    group: 'apps',
    rule: oneOf(['auto', 'true', 'false']),
    fallback: 'auto',
    meaning: "Mark the TODO app's session cookies Secure; `auto`: when the request came over HTTPS (directly or through a trusted proxy).",
  },
  ADMIN_SECURE_COOKIES: {
    group: 'apps',
    rule: oneOf(['0', '1', 'true', 'false']),
    fallback: '0',
    meaning: "Mark the admin console's session cookies Secure: set it when the console is served over HTTPS.",
  },
  SILO_TRUST_PROXY: {
    group: 'apps',
    rule: parsedElsewhere('`0`, a hop count, or a comma list of addresses, CIDRs, `loopback`, `uniquelocal`, `linklocal`'),
    fallback: '0',
    meaning:
      'Which reverse proxies to believe: `0` none; `1` (or N) for that many proxy hops; or a list of proxy addresses. The client is the right-most `X-Forwarded-For` hop not added by a trusted proxy (what a client writes on the left is ignored); `X-Forwarded-Proto`/`-Host` are read only from a trusted peer. Both apps and `silo serve`.',
  },
  ADMIN_TRUST_PROXY: {
    group: 'apps',
    rule: parsedElsewhere('as `SILO_TRUST_PROXY`'),
    defaultText: '`SILO_TRUST_PROXY`',
    meaning: 'The same for the admin console only (`0` when the TODO app is behind a proxy but the console is reached directly).',
  },
  SILO_ALLOWED_HOSTS: {
    group: 'apps',
    rule: parsedElsewhere('a comma list of `host[:port]`, or `*`'),
    defaultText: 'the listen address',
    meaning:
      'Host names the TODO app answers for; anything else gets 421, so a DNS-rebinding page cannot reach a server on localhost. Unset on loopback: `localhost`, `127.0.0.1`, `[::1]` with the port; on `0.0.0.0`/`::`: `localhost` and IP addresses with the port, never a DNS name (set it to your domain).',
  },
  ADMIN_ALLOWED_HOSTS: {
    group: 'apps',
    rule: parsedElsewhere('as `SILO_ALLOWED_HOSTS`'),
    defaultText: 'the listen address',
    meaning: 'The same for the admin console.',
  },
  SILO_SIGNIN_LIMIT_PER_ACCOUNT: {
    group: 'apps',
    rule: integer(1),
    fallback: 5,
    meaning: 'TODO app: failed sign-ins per account *per client address* within 15 minutes (successes don\'t count).',
  },
  SILO_SIGNIN_LIMIT_PER_IP: {
    group: 'apps',
    rule: integer(1),
    fallback: 100,
    meaning: 'TODO app: failed sign-ins per client address across accounts within 15 minutes.',
  },
  SILO_CREATE_LIMIT_PER_HOUR: { group: 'apps', rule: integer(1), fallback: 20, meaning: 'TODO app: sign-ups per client address per hour.' },
  SILO_INVITE_LIMIT_PER_IP: {
    group: 'apps',
    rule: integer(1),
    fallback: 20,
    meaning: 'Invite form posts (and bad-token page loads) per client address per 15 minutes.',
  },
  SILO_TODOS_MAX_PER_LIST: {
    group: 'apps',
    rule: integer(1, 1_000_000),
    fallback: 5_000,
    meaning: 'Todos one list may hold (adding past it answers 409 with a form error).',
  },
  SILO_TODOS_PAGE_SIZE: { group: 'apps', rule: integer(5, 1_000), fallback: 100, meaning: 'Todos per page of a list.' },
  SILO_MEMBERS_MAX: { group: 'apps', rule: integer(1, 10_000), fallback: 50, meaning: 'Accounts per list (owner included).' },
  SILO_OPEN_INVITES_MAX: { group: 'apps', rule: integer(1, 1_000), fallback: 20, meaning: 'Invite links of one list open at once.' },
  SILO_EXPORTS_PER_HOUR: {
    group: 'apps',
    rule: integer(1),
    fallback: 10,
    meaning: 'Downloads (`.sqlite` and `.json` together) per list per hour; then 429 with `Retry-After`.',
  },
  SILO_TENANT_MAX_IN_FLIGHT: {
    group: 'apps',
    rule: integer(1, 1_000),
    fallback: 2,
    meaning: 'Signed-in requests of one list in progress at once; more wait their turn behind other lists.',
  },
  SILO_TENANT_MAX_QUEUED: {
    group: 'apps',
    rule: integer(0, 100_000),
    fallback: 100,
    meaning: 'Requests of one list that may wait for a turn; more get 503 with `Retry-After`.',
  },
  ADMIN_SIGNIN_ATTEMPTS: { group: 'apps', rule: integer(1), fallback: 5, meaning: 'Admin sign-in attempts per email and client address before a block.' },
  ADMIN_SIGNIN_CLIENT_ATTEMPTS: {
    group: 'apps',
    rule: integer(1),
    fallback: 20,
    meaning:
      'Admin sign-in attempts per client address across all emails within `ADMIN_SIGNIN_BLOCK_SEC`; then 429 with `Retry-After`, no password hashing and at most one audit entry per block.',
  },
  ADMIN_SIGNIN_BLOCK_SEC: { group: 'apps', rule: integer(1), fallback: 900, meaning: 'How long an admin sign-in block lasts.' },
  ADMIN_SESSION_HOURS: { group: 'apps', rule: decimal(0.01), fallback: 12, meaning: 'Admin session lifetime.' },
  ADMIN_UPLOAD_MAX_BYTES: {
    group: 'apps',
    rule: integer(1_024),
    fallback: 4 * GIB,
    defaultText: '4 GiB',
    meaning:
      "Largest import upload in the admin console (also capped by `SILO_IMPORT_MAX_BYTES`). Uploads stream into the target region's `staging` folder (never `TMPDIR`), so that folder's disk needs room for the file; the form's `jurisdiction` (and `region`) field must come before the file part.",
  },

  // ── the catalog on Turso ──────────────────────────────────────────────────────────────────
  SILO_CATALOG_URL: {
    group: 'catalog',
    rule: matching(/^(libsql|https?):\/\/[^\s/]+/, 'a `libsql://`, `https://` or `http://` URL'),
    defaultText: '– (the catalog is `data/catalog.db`)',
    meaning: "The catalog's Turso database: `libsql://<hostname>` as Turso shows it (`https://…` works too).",
  },
  SILO_CATALOG_AUTH_TOKEN: {
    group: 'catalog',
    rule: text(),
    secret: true,
    defaultText: '– (required with the URL)',
    meaning: 'A full-access token of that database (or its group). Kept in memory, never logged or shown.',
  },
  SILO_CATALOG_SYNC_INTERVAL_SEC: {
    group: 'catalog',
    rule: decimal(0.1, 3_600),
    fallback: 2,
    meaning: 'How often each replica pulls what other servers wrote.',
  },

  // ── backups ───────────────────────────────────────────────────────────────────────────────
  SILO_BACKUPS: {
    group: 'backups',
    rule: oneOf(['on', 'off']),
    fallback: 'on',
    meaning: '`off`: the scheduler does not start (`silo backup now` still works).',
  },
  SILO_BACKUP_INTERVAL_SEC: { group: 'backups', rule: decimal(0.1), fallback: 15, meaning: 'How often changed instances are looked for.' },
  SILO_BACKUP_LOCATIONS: {
    group: 'backups',
    rule: parsedElsewhere('a comma list of `region=/absolute/folder` or `region=s3://bucket/prefix?jurisdiction=…`'),
    defaultText: "each region's `backups` folder",
    meaning:
      'Where each region\'s backups go: `region=/absolute/folder` or `region=s3://bucket/prefix?jurisdiction=eu&region=eu-central-1&endpoint=https://…&path-style=1`. S3 credentials come from the AWS SDK\'s usual chain (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, profiles), never from the endpoint (an endpoint with `user:password@` is refused). `jurisdiction` is required for S3.',
  },
  SILO_BACKUP_CATALOG_LOCATION: {
    group: 'backups',
    rule: parsedElsewhere('an absolute folder or an `s3://` URL'),
    defaultText: '`data/backups/catalog`',
    meaning: "Where the catalog's backups go.",
  },
  SILO_BACKUP_FULL_HISTORY_HOURS: { group: 'backups', rule: decimal(0), fallback: 48, meaning: 'Retention: every point is kept this long.' },
  SILO_BACKUP_DAILY_DAYS: { group: 'backups', rule: decimal(0), fallback: 30, meaning: 'Retention: then one point a day is kept this long.' },
  SILO_BACKUP_PURGE_AFTER_DAYS: { group: 'backups', rule: decimal(0), fallback: 30, meaning: "How long a purged instance's backups are kept." },
  SILO_BACKUP_VERIFY_SAMPLE: { group: 'backups', rule: integer(0), fallback: 5, meaning: 'Instances whose latest point each scheduled verification restores and checks.' },
  SILO_BACKUP_VERIFY_INTERVAL_MIN: { group: 'backups', rule: decimal(0.02), fallback: 360, meaning: 'How often the scheduled verification runs.' },
  SILO_BACKUP_CONCURRENCY: { group: 'backups', rule: integer(1, 64), fallback: 4, meaning: 'Instances backed up at once.' },

  // ── tenants on Turso ──────────────────────────────────────────────────────────────────────
  SILO_ENGINE: { group: 'turso', rule: oneOf(['local', 'turso']), fallback: 'local', meaning: '`turso` puts tenant databases on Turso.' },
  SILO_TURSO_ORG: { group: 'turso', rule: text(), defaultText: '– (required)', meaning: 'Organization slug.' },
  SILO_TURSO_API_TOKEN: {
    group: 'turso',
    rule: text(),
    secret: true,
    defaultText: '– (required)',
    meaning: 'Platform API token. Kept in memory, never logged or shown.',
  },
  SILO_TURSO_GROUPS: {
    group: 'turso',
    rule: parsedElsewhere('a comma list of `jurisdiction=group`'),
    defaultText: '– (required)',
    meaning: 'The Turso group of each jurisdiction, e.g. `eu=silo-eu,us=silo-us`; every jurisdiction of `SILO_REGIONS` needs one.',
  },
  SILO_TURSO_GROUP_TOKENS: {
    group: 'turso',
    rule: parsedElsewhere('a comma list of `group=token`'),
    secret: true,
    defaultText: 'minted at start-up',
    meaning:
      'Full-access group tokens. Read-only tokens (for the SQL console and exports) are always minted. Minted tokens are minted again when a rotation (`turso group tokens invalidate`) makes Turso refuse them; configured ones are yours to replace (restart after a rotation).',
  },
  SILO_TURSO_API_URL: {
    group: 'turso',
    rule: httpUrl(),
    fallback: 'https://api.turso.tech',
    meaning: 'Platform API address (with or without `/v1`); a local stand-in in tests.',
  },
  SILO_TURSO_DB_PREFIX: {
    group: 'turso',
    rule: matching(/^([a-z0-9][a-z0-9-]{0,23})?$/, 'up to 24 characters of a–z, 0–9, -'),
    defaultText: 'empty',
    meaning: 'Prepended to database names (`<prefix><instance>`), so several fleets can share an organization.',
  },
  SILO_TURSO_TLS: { group: 'turso', rule: flag(), fallback: true, defaultText: '`1`', meaning: '`0` reaches the databases over plain HTTP: only for a local stand-in.' },
  SILO_TURSO_READY_TIMEOUT_MS: {
    group: 'turso',
    rule: integer(100, 600_000),
    fallback: 30_000,
    meaning: 'How long a new database may answer 404 before the create fails (and is removed).',
  },
  SILO_TURSO_USAGE_CACHE_MS: {
    group: 'turso',
    rule: integer(0),
    fallback: 60_000,
    meaning: 'How often per database the usage figures (size, rows read and written, shown as metrics) are asked of Turso.',
  },
  SILO_TURSO_TOKEN_EXPIRATION: {
    group: 'turso',
    rule: matching(/^(\d+[wdhms])+$/, 'a duration such as `1d`, `12h` or `2w1d30m`'),
    fallback: '1d',
    meaning: 'Lifetime of the group tokens Silo mints; they are renewed before they expire and on a 401. `never` is refused: no never-expiring token is ever minted.',
  },
  SILO_TURSO_LOCATIONS: {
    group: 'turso',
    rule: parsedElsewhere('a comma list of `jurisdiction=code|code`, `*` as a suffix wildcard'),
    defaultText: '`eu=aws-eu-*`, `us=aws-us-*`',
    meaning:
      "Turso locations allowed per jurisdiction, e.g. `eu=aws-eu-west-1|fra,us=aws-us-*`. At start-up each group's primary and locations are checked against its jurisdiction's list; a mismatch, or a mapped jurisdiction with neither an entry nor a default, stops the process naming both.",
  },
} as const satisfies Record<string, Setting>;

export type SettingName = keyof typeof SETTINGS;

export const SETTING_NAMES = Object.keys(SETTINGS) as SettingName[];

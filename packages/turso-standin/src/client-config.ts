/**
 * The @libsql/client config for a database the stand-in created: `libsql://` + the Hostname
 * exactly as the Platform API returned it, plus `tls: false` (the stand-in speaks plain HTTP
 * on loopback; @libsql/client then uses `http://` instead of `https://`). That `tls` option is
 * the only difference from connecting to real Turso.
 */
export function libsqlClientConfig(hostname: string, authToken: string): { url: string; authToken: string; tls: false } {
  return { url: `libsql://${hostname}`, authToken, tls: false };
}

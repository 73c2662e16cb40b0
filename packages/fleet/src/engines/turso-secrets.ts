/**
 * Every secret the Turso engine holds (the Platform API token, group tokens), so any text that
 * leaves the engine (error messages, causes' messages) can be scrubbed first. Secrets live in
 * this process's memory only: never in the catalog, a log line, an error or a page.
 */
export class SecretScrubber {
  readonly #secrets = new Set<string>();

  add(secret: string): void {
    // Very short strings would scrub ordinary words; real tokens are long.
    if (secret.length >= 8) this.#secrets.add(secret);
  }

  scrub(text: string): string {
    let result = text;
    for (const secret of this.#secrets) result = result.split(secret).join('[redacted]');
    // A bearer token we were never told about (a proxy echoing headers) is scrubbed too.
    return result.replace(/Bearer\s+[A-Za-z0-9._~+/=-]+/g, 'Bearer [redacted]');
  }
}

/** The peer address from @hono/node-server's bindings, when the request came through it. */
export function clientAddress(env: unknown): string {
  if (typeof env === 'object' && env !== null && 'incoming' in env) {
    const incoming = (env as { incoming?: { socket?: { remoteAddress?: string } } }).incoming;
    return incoming?.socket?.remoteAddress ?? 'unknown';
  }
  return 'unknown';
}

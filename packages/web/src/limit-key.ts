import { isIP } from 'node:net';

/**
 * The key a client address is rate-limited by. An IPv4 address is itself. An IPv6 address
 * counts by its /64 network: one subscriber or cloud machine gets a whole /64 (or more) and
 * can send each request from a fresh address in it, which would give per-address limits
 * (sign-in guesses per account and address, invites, list creation) no bound at all, and fill
 * the limiters' memory with one entry per address. Anything else (`unknown`) is kept as it is.
 */
export function rateLimitKey(address: string): string {
  if (isIP(address) !== 6) return address;
  const groups = ipv6Groups(address);
  // An IPv4 client of a dual-stack listener (`::ffff:a.b.c.d`), or one reaching an IPv6-only
  // server through NAT64 (the well-known prefix `64:ff9b::/96`, RFC 6052), is that IPv4 address:
  // by its /64 every IPv4 client would share one key, and one of them could block all the others.
  if (isMappedIPv4(groups) || isNat64(groups)) {
    const [high = 0, low = 0] = groups.slice(6);
    return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
  }
  return `${groups.slice(0, 4).map((group) => group.toString(16)).join(':')}::/64`;
}

function isMappedIPv4(groups: readonly number[]): boolean {
  return groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff;
}

/**
 * The well-known prefix only: a network's own NAT64 prefix (RFC 8215's 64:ff9b:1::/48, or any
 * other) may place the IPv4 address elsewhere, and its clients share the prefix's /64 key.
 */
function isNat64(groups: readonly number[]): boolean {
  return groups[0] === 0x64 && groups[1] === 0xff9b && groups.slice(2, 6).every((group) => group === 0);
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, an IPv4 tail as two groups, a zone dropped). */
function ipv6Groups(address: string): number[] {
  let text = (address.split('%', 1)[0] ?? '').toLowerCase();
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  const groups = (part: string | undefined): number[] => (part ? part.split(':').map((group) => Number.parseInt(group, 16)) : []);
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  const zeros = halves.length > 1 ? 8 - head.length - tail.length : 0;
  return [...head, ...new Array<number>(zeros).fill(0), ...tail];
}

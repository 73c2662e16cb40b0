import { describe, expect, it } from 'vitest';
import { rateLimitKey } from '../src/index';

/** Issue #13, findings 5 and 7, as an attacker with an IPv6 network would try them. */
describe('rateLimitKey', () => {
  it('counts every address of one IPv6 /64 as one client, in any spelling', () => {
    const key = rateLimitKey('2001:db8:1:2::1');
    for (const address of ['2001:db8:1:2::ffff', '2001:0db8:0001:0002:dead:beef:0:1', '2001:DB8:1:2:0:0:0:2', '2001:db8:1:2::1.2.3.4', 'fe80::1%eth0'.replace('fe80::', '2001:db8:1:2::')]) {
      expect(rateLimitKey(address), address).toBe(key);
    }
    expect(key).toBe('2001:db8:1:2::/64');
    expect(rateLimitKey('2001:db8:1:3::1')).not.toBe(key);
    expect(rateLimitKey('::1')).toBe('0:0:0:0::/64');
  });

  it('counts an IPv4 client of a dual-stack listener (::ffff:a.b.c.d) as its IPv4 address, never with every other IPv4 client', () => {
    expect(rateLimitKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(rateLimitKey('::FFFF:cb00:7107')).toBe('203.0.113.7');
    expect(rateLimitKey('::ffff:198.51.100.1')).not.toBe(rateLimitKey('::ffff:203.0.113.7'));
  });

  it('counts an IPv4 client behind NAT64 (64:ff9b::a.b.c.d) as its IPv4 address', () => {
    expect(rateLimitKey('64:ff9b::203.0.113.7')).toBe('203.0.113.7');
    expect(rateLimitKey('64:ff9b::cb00:7107')).toBe('203.0.113.7');
    expect(rateLimitKey('64:ff9b::198.51.100.1')).not.toBe(rateLimitKey('64:ff9b::203.0.113.7'));
    // Other addresses under 64:ff9b::/64 are not NAT64's: counted by their /64 as any other.
    expect(rateLimitKey('64:ff9b::1:203.0.113.7')).toBe('64:ff9b:0:0::/64');
  });

  it('keeps IPv4 addresses and anything that is not an address as they are', () => {
    expect(rateLimitKey('203.0.113.7')).toBe('203.0.113.7');
    expect(rateLimitKey('unknown')).toBe('unknown');
  });
});

import { addressKey, clientAddress } from '../client-address';

describe('clientAddress', () => {
  it('uses the socket address and ignores X-Forwarded-For unless proxies are trusted', () => {
    expect(clientAddress('10.0.0.7', '203.0.113.9', 0)).toBe('10.0.0.7');
    expect(clientAddress('::ffff:127.0.0.1', undefined, 0)).toBe('127.0.0.1');
  });

  it('takes the entry the outermost trusted proxy appended, not what the client wrote', () => {
    // client → ingress (appends the client's address) → gateway
    expect(clientAddress('10.0.0.7', '203.0.113.9', 1)).toBe('203.0.113.9');
    expect(clientAddress('10.0.0.7', '6.6.6.6, 203.0.113.9', 1)).toBe('203.0.113.9');
    // client → CDN → ingress → gateway
    expect(clientAddress('10.0.0.7', '6.6.6.6, 203.0.113.9, 198.51.100.2', 2)).toBe('203.0.113.9');
    expect(clientAddress('10.0.0.7', ['6.6.6.6', '203.0.113.9'], 1)).toBe('203.0.113.9');
  });

  it('falls back to the socket address when the chosen entry is no address', () => {
    expect(clientAddress('10.0.0.7', 'unknown', 1)).toBe('10.0.0.7');
    expect(clientAddress('10.0.0.7', '', 1)).toBe('10.0.0.7');
  });
});

describe('addressKey', () => {
  it('keys IPv4 addresses as they are and IPv6 addresses by their /64', () => {
    expect(addressKey('203.0.113.9')).toBe('203.0.113.9');
    expect(addressKey('2001:db8:abcd:12:1::1')).toBe('2001:db8:abcd:12::/64');
    expect(addressKey('2001:db8:abcd:0012:ffff:1:2:3')).toBe('2001:db8:abcd:12::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressKey('')).toBe('unknown');
  });
});

import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { BadUserInputError } from '@psa/shared';

/**
 * Special-purpose ranges (RFC 6890 and its IANA registries) an outbound webhook must not reach in
 * production: this host, private networks, loopback, link-local (cloud metadata at
 * 169.254.169.254), carrier-grade NAT, documentation, benchmarking, multicast and reserved space.
 */
const REFUSED_V4: [string, number][] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];
const REFUSED_V6: [string, number][] = [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001::', 23],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
];
const LOOPBACK: [string, number, 'ipv4' | 'ipv6'][] = [
  ['127.0.0.0', 8, 'ipv4'],
  ['::1', 128, 'ipv6'],
];

const refused = new BlockList();
for (const [network, prefix] of REFUSED_V4) refused.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of REFUSED_V6) refused.addSubnet(network, prefix, 'ipv6');
const loopback = new BlockList();
for (const [network, prefix, family] of LOOPBACK) loopback.addSubnet(network, prefix, family);

/** What outbound webhook requests may reach. */
export interface AddressPolicy {
  /** Production refuses special-purpose addresses; development only the non-loopback ones. */
  production: boolean;
  /** Hosts (names or addresses, lower-case) exempt from the check: `WEBHOOK_ALLOWED_HOSTS`. */
  allowedHosts: ReadonlySet<string>;
}

/** An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) as the IPv4 address it is. */
function unmapped(address: string, family: 4 | 6): { address: string; family: 'ipv4' | 'ipv6' } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (family === 6 && mapped?.[1]) return { address: mapped[1], family: 'ipv4' };
  return { address, family: family === 4 ? 'ipv4' : 'ipv6' };
}

/** Why `address` may not be reached under `policy`, or null when it may. */
export function refusalOf(address: string, policy: AddressPolicy): string | null {
  const version = isIP(address);
  if (version !== 4 && version !== 6) return `${address} is not an IP address`;
  const ip = unmapped(address, version);
  if (!refused.check(ip.address, ip.family)) return null;
  if (!policy.production && loopback.check(ip.address, ip.family)) return null;
  return `${address} is a private, loopback, link-local or reserved address`;
}

/** Thrown by the guarded lookup: the delivery fails without a request being sent. */
export class RefusedAddressError extends Error {
  readonly code = 'WEBHOOK_ADDRESS_REFUSED';
}

/**
 * A `lookup` for http(s).request that resolves the host and refuses it when any of its addresses
 * is refused: the connection then goes to the address checked here, so a DNS answer that changes
 * between a check and the connection (DNS rebinding) cannot slip a private address through.
 */
export function guardedLookup(host: string, policy: AddressPolicy): LookupFunction {
  const exempt = policy.allowedHosts.has(host.toLowerCase());
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      if (!exempt) {
        for (const { address } of addresses) {
          const reason = refusalOf(address, policy);
          if (reason) return callback(new RefusedAddressError(reason), '', 0);
        }
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      if (!first) return callback(new Error(`${hostname} has no address`), '', 0);
      callback(null, first.address, first.family);
    });
  };
}

/**
 * A webhook URL as stored: `https:` (or `http:` outside production), no credentials, at most 2,048
 * characters. BAD_USER_INPUT naming `field` otherwise. Private addresses written as literals are
 * refused at once in production; names are checked when each delivery resolves them.
 */
export function checkWebhookUrl(raw: string, policy: AddressPolicy, field: string): URL {
  const text = raw.trim();
  let url: URL;
  try {
    if (text.length > 2048) throw new Error('too long');
    url = new URL(text);
  } catch {
    throw new BadUserInputError('url must be an absolute URL of at most 2048 characters', field);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && !policy.production)) {
    throw new BadUserInputError(
      policy.production ? 'url must be https:' : 'url must be https: (or http: in development)',
      field,
    );
  }
  if (url.username || url.password) {
    throw new BadUserInputError('url must not carry a username or password', field);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) && !policy.allowedHosts.has(host.toLowerCase())) {
    const reason = refusalOf(host, policy);
    if (reason) throw new BadUserInputError(`url is refused: ${reason}`, field);
  }
  return url;
}

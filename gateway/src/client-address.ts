import { isIP, isIPv6 } from 'node:net';

/**
 * The client's address: the socket's, or, behind `trustedHops` reverse proxies, the entry of
 * `X-Forwarded-For` the outermost trusted proxy appended (entries further left are the client's
 * own say and are ignored). IPv4-mapped IPv6 addresses are given as IPv4.
 */
export function clientAddress(
  socketAddress: string,
  forwardedFor: string | string[] | undefined,
  trustedHops: number,
): string {
  let address = socketAddress;
  if (trustedHops > 0 && forwardedFor) {
    const chain = [
      ...(Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor)
        .split(',')
        .map((entry) => entry.trim())
        .filter(Boolean),
      socketAddress,
    ];
    const candidate = chain[Math.max(chain.length - 1 - trustedHops, 0)] ?? '';
    if (isIP(candidate)) address = candidate;
  }
  return address.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1');
}

/**
 * The key an address is rate limited under: an IPv4 address as is, an IPv6 address by its /64
 * (one subscriber usually holds a whole /64, so single addresses would be free to rotate).
 */
export function addressKey(address: string): string {
  const plain = address.replace(/%.*$/, '');
  if (!isIPv6(plain)) return plain || 'unknown';
  const [head = '', tail] = plain.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}

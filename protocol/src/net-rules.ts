// Outbound address rules, one implementation for Central (calls to streamers) and the streamer (its
// network inputs): both reach user-supplied addresses, so neither may become a proxy into cloud
// metadata services or other reserved addresses. Built on node:net BlockList, which also matches
// IPv4-mapped IPv6 (::ffff:a.b.c.d) against IPv4 rules; the other IPv6 forms that embed an IPv4
// address are listed explicitly.
import dns from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

export interface NetPolicy {
  /** CIDRs; when non-empty, only these addresses may be contacted. */
  allow: readonly string[];
  /** CIDRs that may never be contacted. */
  deny: readonly string[];
}

type Family = 'ipv4' | 'ipv6';
interface Cidr {
  address: string;
  prefix: number;
  family: Family;
}

/**
 * Metadata and link-local IPv4 networks: 169.254.169.254 (AWS, GCP, Azure, OpenStack …),
 * 100.100.100.200 (Alibaba Cloud), 168.63.129.16 (Azure WireServer).
 */
const METADATA_V4: readonly [string, number][] = [
  ['169.254.0.0', 16],
  ['100.100.100.200', 32],
  ['168.63.129.16', 32],
];

const hex = (a: number, b: number) => ((a << 8) | b).toString(16);

/** The IPv6 forms that carry an IPv4 network: compatible, translated (SIIT), NAT64, 6to4. */
function embeddedForms([address, prefix]: [string, number]): string[] {
  const [a, b, c, d] = address.split('.').map(Number) as [number, number, number, number];
  const tail = `${hex(a, b)}:${hex(c, d)}`;
  const p96 = 96 + prefix;
  return [
    `::${tail}/${p96}`,
    `::ffff:0:${tail}/${p96}`,
    `64:ff9b::${tail}/${p96}`,
    `2002:${tail}::/${16 + prefix}`,
  ];
}

/**
 * Denied whatever the operator allows: nothing legitimate lives there, and they are the classic
 * SSRF targets (fd00:ec2::254 is the AWS metadata service over IPv6).
 */
export const ALWAYS_DENIED: readonly string[] = Object.freeze([
  '0.0.0.0/8',
  ...METADATA_V4.map(([a, p]) => `${a}/${p}`),
  '224.0.0.0/4',
  '255.255.255.255/32',
  '::/128',
  'fe80::/10',
  'ff00::/8',
  'fd00:ec2::254/128',
  // The local-use NAT64 prefix (RFC 8215) may translate to anything, metadata included.
  '64:ff9b:1::/48',
  ...METADATA_V4.flatMap(embeddedForms),
]);

export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const version = isIP(address);
  if (version === 0) return null;
  const bits = version === 4 ? 32 : 128;
  const prefixText = slash < 0 ? String(bits) : text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = Number(prefixText);
  if (prefix > bits) return null;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

function blockListOf(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const text of cidrs) {
    const c = parseCidr(text);
    // parseCidrList has validated configured values; a bad entry here is a programming error.
    if (!c) throw new Error(`invalid CIDR "${text}"`);
    list.addSubnet(c.address, c.prefix, c.family);
  }
  return list;
}

const alwaysDenied = blockListOf(ALWAYS_DENIED);

/** "10.0.0.0/8, 192.168.0.0/16 fd00::/8" -> a list; a bare address means that one host. */
export function parseCidrList(value: string, key: string): string[] {
  const items = value.split(/[\s,]+/).filter(Boolean);
  for (const item of items) {
    if (!parseCidr(item)) throw new Error(`${key}: "${item}" is not a CIDR (expected e.g. 10.0.0.0/8)`);
  }
  return items;
}

interface CompiledPolicy {
  allow: BlockList | null;
  deny: BlockList;
}

// Policies come from frozen configs and live as long as the process: compile each once.
const compiled = new WeakMap<NetPolicy, CompiledPolicy>();

function compile(policy: NetPolicy): CompiledPolicy {
  let c = compiled.get(policy);
  if (!c) {
    c = { allow: policy.allow.length ? blockListOf(policy.allow) : null, deny: blockListOf(policy.deny) };
    compiled.set(policy, c);
  }
  return c;
}

/** `ip` without brackets or zone id, and its family; null when it is not an IP address. */
function bareAddress(ip: string): { bare: string; family: Family } | null {
  // A zone id (fe80::1%eth0) makes BlockList.check answer false, which would slip past every rule.
  const bare = ip.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const version = isIP(bare);
  return version === 0 ? null : { bare, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** True for the addresses no policy can allow (metadata, link-local, multicast, unspecified). */
export function isAlwaysDenied(ip: string): boolean {
  const a = bareAddress(ip);
  return a !== null && alwaysDenied.check(a.bare, a.family);
}

/** null when `ip` may be contacted, else why not. */
export function checkAddress(ip: string, policy: NetPolicy): string | null {
  const a = bareAddress(ip);
  if (!a) return `${ip} is not an IP address`;
  const { bare, family } = a;
  if (alwaysDenied.check(bare, family))
    return `${bare} is a reserved address (link-local, metadata, multicast)`;
  const { allow, deny } = compile(policy);
  if (allow && !allow.check(bare, family)) return `${bare} is not in the allowed networks`;
  if (deny.check(bare, family)) return `${bare} is in the denied networks`;
  return null;
}

/** The host of a URL without IPv6 brackets (`new URL` also canonicalises 2852039166 and friends). */
export const urlHost = (url: URL): string => url.hostname.replace(/^\[|\]$/g, '');

/**
 * Why a URL whose host is an IP literal may not be contacted, else null (also for a host name, which
 * guardedLookup checks at connect time: Node skips `lookup` for literals, so callers check them here).
 */
export function literalProblem(url: URL, policy: NetPolicy): string | null {
  const host = urlHost(url);
  return isIP(host) ? checkAddress(host, policy) : null;
}

/** The error code of a connection refused by guardedLookup. */
export const BLOCKED_CODE = 'ESTREAMERBLOCKED';

/** A resolved address that passed the policy. */
export interface CheckedAddress {
  address: string;
  family: number;
}

function allowedOf(
  hostname: string,
  policy: NetPolicy,
  options: dns.LookupOptions,
  done: (err: NodeJS.ErrnoException | null, allowed: CheckedAddress[]) => void,
): void {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return done(err, []);
    const allowed = addresses.filter((a) => checkAddress(a.address, policy) === null);
    if (allowed.length) return done(null, allowed);
    const reason = addresses.length ? checkAddress(addresses[0]!.address, policy) : 'no address';
    const e: NodeJS.ErrnoException = new Error(`${hostname} resolves to a forbidden address: ${reason}`);
    e.code = BLOCKED_CODE;
    done(e, []);
  });
}

/**
 * Resolves `hostname` (an IP literal answers itself) and keeps the addresses the policy allows.
 * Rejects with code BLOCKED_CODE when none is left, with the DNS error when resolution fails.
 */
export function resolveAllowed(hostname: string, policy: NetPolicy): Promise<CheckedAddress[]> {
  return new Promise((resolve, reject) =>
    allowedOf(hostname, policy, {}, (err, allowed) => (err ? reject(err) : resolve(allowed))),
  );
}

/**
 * A `lookup` for http.request / net.connect: dns.lookup minus the addresses the policy forbids. It
 * runs for every new connection, so the address checked is the address connected to (no DNS
 * rebinding window).
 */
export function guardedLookup(policy: NetPolicy): LookupFunction {
  return (hostname, options, callback) => {
    allowedOf(hostname, policy, options, (err, allowed) => {
      if (err) return callback(err, '', 0);
      if (options.all) return callback(null, allowed);
      callback(null, allowed[0]!.address, allowed[0]!.family);
    });
  };
}

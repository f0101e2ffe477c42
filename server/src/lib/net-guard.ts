// SSRF rules for every outbound call to a streamer: streamer api_urls are user-supplied, so Central must
// never become a proxy into cloud metadata services or other reserved addresses.
// Built on node:net BlockList, which also matches IPv4-mapped IPv6 (::ffff:a.b.c.d) against IPv4 rules.
import dns from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

export interface NetPolicy {
  /** CIDRs; when non-empty, only these addresses may be contacted. */
  allow: string[];
  /** CIDRs that may never be contacted. */
  deny: string[];
}

type Family = 'ipv4' | 'ipv6';
interface Cidr {
  address: string;
  prefix: number;
  family: Family;
}

// Denied whatever the operator allows: no legitimate streamer lives on these, and they are the classic
// SSRF targets (169.254.169.254 and fd00:ec2::254 are the AWS/GCP/Azure metadata services).
const ALWAYS_DENIED: readonly string[] = [
  '0.0.0.0/8',
  '169.254.0.0/16',
  '224.0.0.0/4',
  '255.255.255.255/32',
  '::/128',
  'fe80::/10',
  'ff00::/8',
  'fd00:ec2::254/128',
  // The same link-local range reached through NAT64 and 6to4 prefixes.
  '64:ff9b::a9fe:0/112',
  '2002:a9fe::/32',
];

function parseCidr(text: string): Cidr | null {
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

// Policies come from the frozen config and live as long as the process: compile each once.
const compiled = new WeakMap<NetPolicy, CompiledPolicy>();

function compile(policy: NetPolicy): CompiledPolicy {
  let c = compiled.get(policy);
  if (!c) {
    c = { allow: policy.allow.length ? blockListOf(policy.allow) : null, deny: blockListOf(policy.deny) };
    compiled.set(policy, c);
  }
  return c;
}

/** null when `ip` may be contacted, else why not. */
export function checkAddress(ip: string, policy: NetPolicy): string | null {
  // A zone id (fe80::1%eth0) makes BlockList.check answer false, which would slip past every rule.
  const bare = ip.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const version = isIP(bare);
  if (version === 0) return `${ip} is not an IP address`;
  const family: Family = version === 4 ? 'ipv4' : 'ipv6';
  if (alwaysDenied.check(bare, family))
    return `${bare} is a reserved address (link-local, metadata, multicast)`;
  const { allow, deny } = compile(policy);
  if (allow && !allow.check(bare, family)) return `${bare} is not in the allowed networks`;
  if (deny.check(bare, family)) return `${bare} is in the denied networks`;
  return null;
}

/** The error code of a connection refused by guardedLookup. */
export const BLOCKED_CODE = 'ESTREAMERBLOCKED';

/**
 * A `lookup` for http.request: dns.lookup minus the addresses the policy forbids. It runs for every new
 * connection, so the address checked is the address connected to (no DNS rebinding window).
 */
export function guardedLookup(policy: NetPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const allowed = addresses.filter((a) => checkAddress(a.address, policy) === null);
      if (!allowed.length) {
        const reason = addresses.length ? checkAddress(addresses[0]!.address, policy) : 'no address';
        const e: NodeJS.ErrnoException = new Error(`${hostname} resolves to a forbidden address: ${reason}`);
        e.code = BLOCKED_CODE;
        return callback(e, '', 0);
      }
      if (options.all) return callback(null, allowed);
      callback(null, allowed[0]!.address, allowed[0]!.family);
    });
  };
}

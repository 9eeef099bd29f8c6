/**
 * Cedar's `ipaddr` extension type (constructor `ip`): an IPv4 or IPv6 address with a prefix
 * length, i.e. an address and the CIDR range it designates.
 *
 * Literal syntax:
 * - IPv4: four decimal octets 0–255 without leading zeros (`10.0.0.1`; `01.2.3.4` is rejected).
 * - IPv6: eight groups of one to four hex digits, or fewer with one `::` standing for at least
 *   one zero group (`::1`, `2001:db8::8a2e:370:7334`); a dotted IPv4 tail (`::ffff:1.2.3.4`)
 *   and zone ids (`fe80::1%eth0`) are rejected.
 * - An optional `/prefix`: decimal without leading zeros, at most 32 (IPv4) or 128 (IPv6).
 *   Without it the prefix is the full length, so `ip("10.0.0.1") == ip("10.0.0.1/32")`.
 *
 * Equality compares family, address and prefix, host bits included: `ip("10.0.0.1/8")` and
 * `ip("10.0.0.0/8")` designate the same range but are different values. No whitespace anywhere.
 */
import { EvalError } from '../eval-error.js';
import { ExtensionValue } from '../values.js';

function fail(why: string): never {
  throw new EvalError('extension', `error while evaluating \`ipaddr\` extension function: ${why}`);
}

const OCTET = /^(?:0|[1-9][0-9]{0,2})$/;
const GROUP = /^[0-9a-fA-F]{1,4}$/;
const PREFIX = /^(?:0|[1-9][0-9]{0,2})$/;

function parseV4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!OCTET.test(p)) return undefined;
    const o = Number(p);
    if (o > 255) return undefined;
    n = n * 256 + o;
  }
  return BigInt(n);
}

function groups(text: string): number[] | undefined {
  if (text === '') return [];
  const out: number[] = [];
  for (const g of text.split(':')) {
    if (!GROUP.test(g)) return undefined;
    out.push(parseInt(g, 16));
  }
  return out;
}

function parseV6(text: string): bigint | undefined {
  let all: number[];
  const gap = text.indexOf('::');
  if (gap < 0) {
    const g = groups(text);
    if (g === undefined || g.length !== 8) return undefined;
    all = g;
  } else {
    // One `::` only; `:::` is caught here too (a second match overlapping the first).
    if (text.indexOf('::', gap + 1) >= 0) return undefined;
    const head = groups(text.slice(0, gap));
    const tail = groups(text.slice(gap + 2));
    if (head === undefined || tail === undefined || head.length + tail.length > 7) return undefined;
    all = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  }
  let n = 0n;
  for (const g of all) n = (n << 16n) | BigInt(g);
  return n;
}

const V4_BITS = 32;
const V6_BITS = 128;

/** A Cedar `ipaddr` value. */
export class IpAddr extends ExtensionValue {
  readonly extensionType = 'ipaddr';
  readonly constructorName = 'ip';
  /** The first address of the range (host bits cleared): a `number` for IPv4, a `bigint` for IPv6. */
  readonly first: number | bigint;
  /** The last address of the range (host bits set): a `number` for IPv4, a `bigint` for IPv6. */
  readonly last: number | bigint;
  #key: string | undefined;

  /**
   * @param v6 IPv6 when true, IPv4 otherwise.
   * @param addr the address as an unsigned integer (32 or 128 bits), host bits kept.
   * @param prefix the prefix length, at most the family's bit count.
   */
  constructor(
    readonly v6: boolean,
    readonly addr: bigint,
    readonly prefix: number,
  ) {
    super();
    if (v6) {
      const hostBits = BigInt(V6_BITS - prefix);
      this.first = (addr >> hostBits) << hostBits;
      this.last = this.first | ((1n << hostBits) - 1n);
    } else {
      // IPv4 ranges as plain numbers (exact below 2^53): cheaper to compare than bigints.
      const n = Number(addr);
      const size = 2 ** (V4_BITS - prefix);
      this.first = n - (n % size);
      this.last = this.first + size - 1;
    }
  }

  /** `ip("…")`: parses an address with an optional prefix; a malformed one is an `extension` error. */
  static parse(text: string): IpAddr {
    const slash = text.indexOf('/');
    const host = slash < 0 ? text : text.slice(0, slash);
    const v6 = host.includes(':');
    if (v6 && host.includes('.')) fail(`IPv4 embedded in IPv6 is not accepted: \`${text}\``);
    const addr = v6 ? parseV6(host) : parseV4(host);
    if (addr === undefined) fail(`invalid IP address \`${text}\``);
    const bits = v6 ? V6_BITS : V4_BITS;
    let prefix = bits;
    if (slash >= 0) {
      const p = text.slice(slash + 1);
      if (!PREFIX.test(p)) fail(`invalid prefix \`${p}\` in \`${text}\``);
      prefix = Number(p);
      if (prefix > bits) fail(`prefix ${prefix} is larger than ${bits} in \`${text}\``);
    }
    return new IpAddr(v6, addr, prefix);
  }

  get bits(): number {
    return this.v6 ? V6_BITS : V4_BITS;
  }

  /** `a.isInRange(b)`: the same family, and `a`'s whole range lies inside `b`'s. */
  isInRange(other: IpAddr): boolean {
    return this.v6 === other.v6 && this.first >= other.first && this.last <= other.last;
  }

  /** The whole range is loopback: inside 127.0.0.0/8, or exactly ::1. */
  isLoopback(): boolean {
    return this.isInRange(this.v6 ? V6_LOOPBACK : V4_LOOPBACK);
  }

  /** The whole range is multicast: inside 224.0.0.0/4 or ff00::/8. */
  isMulticast(): boolean {
    return this.isInRange(this.v6 ? V6_MULTICAST : V4_MULTICAST);
  }

  key(): string {
    this.#key ??= `${this.v6 ? '6' : '4'}:${this.addr.toString(16)}/${this.prefix}`;
    return this.#key;
  }

  /** Cedar `==`: same family, address (host bits included) and prefix length. */
  override equals(other: ExtensionValue): boolean {
    return (
      other instanceof IpAddr &&
      other.v6 === this.v6 &&
      other.addr === this.addr &&
      other.prefix === this.prefix
    );
  }

  /** The address as Cedar text (`10.0.0.1`, `10.0.0.0/8`, `2001:db8::1`), `/prefix` when not full. */
  arg(): string {
    const text = this.v6 ? formatV6(this.addr) : formatV4(this.addr);
    return this.prefix === this.bits ? text : `${text}/${this.prefix}`;
  }

  override toString(): string {
    return `ip("${this.arg()}")`;
  }
}

function formatV4(addr: bigint): string {
  const n = Number(addr);
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** RFC 5952 text: lower-case hex, the longest run (≥ 2) of zero groups compressed to `::`. */
function formatV6(addr: bigint): string {
  const g: number[] = [];
  for (let i = 7; i >= 0; i--) g.push(Number((addr >> BigInt(i * 16)) & 0xffffn));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]): string => xs.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

const V4_LOOPBACK = new IpAddr(false, 0x7f000000n, 8);
const V6_LOOPBACK = new IpAddr(true, 1n, 128);
const V4_MULTICAST = new IpAddr(false, 0xe0000000n, 4);
const V6_MULTICAST = new IpAddr(true, 0xffn << 120n, 8);

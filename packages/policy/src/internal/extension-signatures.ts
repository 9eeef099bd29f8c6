/**
 * The static signatures of Cedar's extension functions, as the typechecker needs them:
 * argument types, result type, and for the four constructors a check that a literal argument
 * spells a valid value (the validator rejects `decimal("abc")` before any request).
 */
import type { Ty } from './typecheck.js';

export interface ExtensionSignature {
  readonly name: string;
  readonly args: readonly Ty[];
  readonly returns: Ty;
  /** For constructors (`ip`, `decimal`, `datetime`, `duration`): is the literal valid? */
  readonly validLiteral?: (literal: string) => boolean;
}

const BOOL: Ty = { k: 'bool' };
const LONG: Ty = { k: 'long' };
const STRING: Ty = { k: 'string' };
const IP: Ty = { k: 'ext', name: 'ipaddr' };
const DECIMAL: Ty = { k: 'ext', name: 'decimal' };
const DATETIME: Ty = { k: 'ext', name: 'datetime' };
const DURATION: Ty = { k: 'ext', name: 'duration' };

const I64_MAX = 2n ** 63n - 1n;

function validDecimal(s: string): boolean {
  const m = /^(-?)(\d+)\.(\d{1,4})$/.exec(s);
  if (!m) return false;
  const scaled = BigInt(m[2]! + m[3]!.padEnd(4, '0'));
  return m[1] === '-' ? scaled <= I64_MAX + 1n : scaled <= I64_MAX;
}

function validIpv4(s: string): boolean {
  const parts = s.split('.');
  return (
    parts.length === 4 &&
    parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)
  );
}

function validIpv6(s: string): boolean {
  const lastColon = s.lastIndexOf(':');
  if (lastColon < 0) return false;
  let body = s;
  const tail = s.slice(lastColon + 1);
  if (tail.includes('.')) {
    // An embedded IPv4 tail stands for the last two groups.
    if (!validIpv4(tail)) return false;
    body = s.slice(0, lastColon + 1) + '0:0';
  }
  if (!/^[0-9A-Fa-f:]+$/.test(body)) return false;
  const halves = body.split('::');
  if (halves.length > 2) return false;
  const hex = (h: string): string[] => (h === '' ? [] : h.split(':'));
  const all = halves.flatMap(hex);
  if (!all.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false;
  return halves.length === 2 ? all.length < 8 : all.length === 8;
}

function validIp(s: string): boolean {
  const slash = s.indexOf('/');
  const addr = slash < 0 ? s : s.slice(0, slash);
  const v4 = validIpv4(addr);
  if (!v4 && !validIpv6(addr)) return false;
  if (slash < 0) return true;
  const prefix = s.slice(slash + 1);
  if (!/^(0|[1-9]\d*)$/.test(prefix)) return false;
  return Number(prefix) <= (v4 ? 32 : 128);
}

function validDatetime(s: string): boolean {
  const m =
    /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{3}))?(?:Z|([+-])(\d{2})(\d{2})))?$/.exec(
      s,
    );
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (mo < 1 || mo > 12 || d < 1) return false;
  const days = new Date(Date.UTC(2000 + (y % 400), mo, 0)).getUTCDate();
  if (d > days) return false;
  if (m[4] !== undefined && (Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6]) > 59)) {
    return false;
  }
  if (m[8] !== undefined && (Number(m[9]) > 23 || Number(m[10]) > 59)) return false;
  return true;
}

function validDuration(s: string): boolean {
  const m = /^(-?)(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$/.exec(s);
  if (!m || s === '' || s === '-') return false;
  const units = [86_400_000n, 3_600_000n, 60_000n, 1000n, 1n];
  let total = 0n;
  let any = false;
  units.forEach((u, i) => {
    const g = m[i + 2];
    if (g !== undefined) {
      any = true;
      total += BigInt(g) * u;
    }
  });
  if (!any) return false;
  return m[1] === '-' ? total <= I64_MAX + 1n : total <= I64_MAX;
}

const sigs: ExtensionSignature[] = [
  { name: 'ip', args: [STRING], returns: IP, validLiteral: validIp },
  { name: 'decimal', args: [STRING], returns: DECIMAL, validLiteral: validDecimal },
  { name: 'datetime', args: [STRING], returns: DATETIME, validLiteral: validDatetime },
  { name: 'duration', args: [STRING], returns: DURATION, validLiteral: validDuration },
  ...['isIpv4', 'isIpv6', 'isLoopback', 'isMulticast'].map((name) => ({
    name,
    args: [IP],
    returns: BOOL,
  })),
  { name: 'isInRange', args: [IP, IP], returns: BOOL },
  ...['lessThan', 'lessThanOrEqual', 'greaterThan', 'greaterThanOrEqual'].map((name) => ({
    name,
    args: [DECIMAL, DECIMAL],
    returns: BOOL,
  })),
  { name: 'offset', args: [DATETIME, DURATION], returns: DATETIME },
  { name: 'durationSince', args: [DATETIME, DATETIME], returns: DURATION },
  { name: 'toDate', args: [DATETIME], returns: DATETIME },
  { name: 'toTime', args: [DATETIME], returns: DURATION },
  ...['toMilliseconds', 'toSeconds', 'toMinutes', 'toHours', 'toDays'].map((name) => ({
    name,
    args: [DURATION],
    returns: LONG,
  })),
];

/** Extension function name → its signature. */
export const EXTENSION_SIGNATURES: ReadonlyMap<string, ExtensionSignature> = new Map(
  sigs.map((s) => [s.name, s]),
);

import { PlinthError } from './errors.js';
import { DEFAULT_LIMITS } from './limits.js';

/**
 * One name policy for every name a user gives Plinth (artifacts, subjects, tags, stages,
 * pipelines, namespaces), so names cannot break logs or audit trails or pass for other names:
 * - a non-empty string of at most `maxLength` code points (default `DEFAULT_LIMITS.maxNameLength`);
 * - in Unicode Normalization Form C: a name that is not is **refused**, not normalised, so one
 *   name has one spelling in storage and `é` written two ways is never two look-alike names;
 * - no C0 or C1 control characters (U+0000–U+001F, U+007F–U+009F), no bidirectional controls
 *   (U+202A–U+202E, U+2066–U+2069, and the marks U+200E, U+200F, U+061C), no zero-width or
 *   invisible characters (U+200B–U+200D, U+2060–U+2064, U+FEFF, U+180E), no lone surrogates.
 * Packages add their own character rules on top (the registry's `group/name` syntax).
 */

/** Which rule a name broke (`details.rule` of `E_INVALID_NAME`). */
export type NameRule =
  'type' | 'empty' | 'length' | 'control' | 'bidi' | 'invisible' | 'surrogate' | 'nfc';

export interface NameOptions {
  /** Most code points. @default DEFAULT_LIMITS.maxNameLength (256) */
  readonly maxLength?: number;
  /** What the name is, for the message and `details.what` (`subject`, `stage`). @default 'name' */
  readonly what?: string;
  /** The package named in the error. @default '@plinth/core' */
  readonly package?: string;
}

function classify(cp: number): NameRule | undefined {
  if (cp <= 0x1f || (cp >= 0x7f && cp <= 0x9f)) return 'control';
  if (cp < 0x61c) return undefined;
  if (
    (cp >= 0x202a && cp <= 0x202e) ||
    (cp >= 0x2066 && cp <= 0x2069) ||
    cp === 0x200e ||
    cp === 0x200f ||
    cp === 0x61c
  ) {
    return 'bidi';
  }
  if (
    (cp >= 0x200b && cp <= 0x200d) ||
    (cp >= 0x2060 && cp <= 0x2064) ||
    cp === 0xfeff ||
    cp === 0x180e
  ) {
    return 'invisible';
  }
  if (cp >= 0xd800 && cp <= 0xdfff) return 'surrogate';
  return undefined;
}

const codePoint = (cp: number) => `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * A name as text that is safe to print: JSON-quoted, with every character the policy refuses
 * (and, with `ascii`, every non-ASCII character) written as `\uXXXX`, cut at 80 characters.
 */
export function printableName(value: string, options: { readonly ascii?: boolean } = {}): string {
  const cut = value.length > 80 ? `${value.slice(0, 80)}…` : value;
  let out = '';
  for (const ch of cut) {
    const cp = ch.codePointAt(0) as number;
    const escape =
      classify(cp) !== undefined || (options.ascii === true && cp > 0x7e && ch !== '…');
    out += escape ? `\\u${cp.toString(16).padStart(4, '0')}` : ch;
  }
  return JSON.stringify(out).replace(/\\\\u([0-9a-f]{4})/g, '\\u$1');
}

const MESSAGES: Record<NameRule, string> = {
  type: 'must be a string',
  empty: 'must not be empty',
  length: 'is too long',
  control: 'contains a control character',
  bidi: 'contains a bidirectional control character',
  invisible: 'contains a zero-width or invisible character',
  surrogate: 'contains a lone surrogate',
  nfc: 'is not in Unicode Normalization Form C',
};

/**
 * Checks a name against the policy and returns it. Throws `E_INVALID_NAME` whose details say
 * which rule was broken (`rule`), where (`index`, `codePoint`) and the name as printable text.
 */
export function checkName(value: unknown, options: NameOptions = {}): string {
  const what = options.what ?? 'name';
  const max = options.maxLength ?? DEFAULT_LIMITS.maxNameLength;
  const fail = (rule: NameRule, extra: Record<string, unknown> = {}, suffix = ''): never => {
    // A name that is not NFC is shown with every non-ASCII character escaped, so the two
    // spellings that look alike are told apart.
    const shown =
      typeof value === 'string' ? printableName(value, { ascii: rule === 'nfc' }) : typeof value;
    throw new PlinthError({
      code: 'E_INVALID_NAME',
      package: options.package ?? '@plinth/core',
      message: `${what} ${shown} ${MESSAGES[rule]}${suffix}`,
      details: { what, rule, name: shown, ...extra },
    });
  };
  if (typeof value !== 'string') return fail('type');
  if (value.length === 0) return fail('empty');
  // Code points, counted without building an array; a length check first bounds the work.
  if (value.length > max * 2) return fail('length', { max }, ` (at most ${max} characters)`);
  let count = 0;
  let index = 0;
  for (const ch of value) {
    const cp = ch.codePointAt(0) as number;
    const rule = classify(cp);
    if (rule !== undefined)
      return fail(
        rule,
        { index, codePoint: codePoint(cp) },
        ` (${codePoint(cp)} at index ${index})`,
      );
    count++;
    index += ch.length;
  }
  if (count > max) return fail('length', { max }, ` (at most ${max} characters)`);
  // Pure ASCII is always NFC; only other names pay for normalize().
  // eslint-disable-next-line no-control-regex -- the ASCII range
  if (!/^[\u0000-\u007f]*$/.test(value) && value.normalize('NFC') !== value) {
    return fail(
      'nfc',
      { normalized: printableName(value.normalize('NFC')) },
      ` (write it as ${printableName(value.normalize('NFC'))})`,
    );
  }
  return value;
}

import { RE2JS } from 're2js';
import { PlinthError } from './errors.js';

/**
 * Regular expressions that come from user data (JSON Schema `pattern`, business rules, data
 * quality checks) run on RE2 (the `re2js` port), whose matching time is linear in the input:
 * no pattern can make a call backtrack for seconds and freeze the event loop (ReDoS).
 *
 * Patterns are written in ECMAScript syntax (Unicode mode, the `u` flag, as JSON Schema
 * prescribes) and keep their ECMAScript meaning: each is first checked by the JavaScript parser,
 * then translated to RE2 syntax (`\uXXXX`, `\s`, `.`, `[^]`, `\cX` and friends are rewritten to
 * the RE2 form that matches exactly the same characters). What RE2 cannot run in linear time —
 * lookahead, lookbehind, backreferences — or cannot express with the same meaning is refused
 * with `E_INVALID_PATTERN` instead of being silently changed.
 */

/** A compiled user pattern: `test()` searches like `RegExp.prototype.test` without `g`/`y`. */
export interface UserPattern {
  /** The pattern as written (ECMAScript syntax). */
  readonly source: string;
  /** The flags it was compiled with (a subset of `ius`). */
  readonly flags: string;
  /** True when the pattern matches somewhere in `input`. */
  test(input: string): boolean;
  /** `/source/flags`, so engines that cache compiled patterns by their text (ajv) can. */
  toString(): string;
}

export interface UserPatternOptions {
  /** The package named in errors. @default '@plinth/core' */
  readonly package?: string;
  /** What the pattern is, for the message (`pattern at /properties/id`). @default 'pattern' */
  readonly what?: string;
}

/** ECMAScript's `\s`: WhiteSpace and LineTerminator code points, as RE2 class items. */
const WHITESPACE =
  '\\t\\n\\x{0B}\\f\\r \\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}\\x{FEFF}';
/** ECMAScript's `.` without the `s` flag: anything but a line terminator. */
const DOT = '[^\\n\\r\\x{2028}\\x{2029}]';
const ANY = '[\\x{0}-\\x{10FFFF}]';
const NOTHING = '[^\\x{0}-\\x{10FFFF}]';

/** Long General_Category names ECMAScript accepts, mapped to the short ones RE2 knows. */
const CATEGORIES: Readonly<Record<string, string>> = {
  Letter: 'L',
  Cased_Letter: 'LC',
  Uppercase_Letter: 'Lu',
  Lowercase_Letter: 'Ll',
  Titlecase_Letter: 'Lt',
  Modifier_Letter: 'Lm',
  Other_Letter: 'Lo',
  Mark: 'M',
  Combining_Mark: 'M',
  Nonspacing_Mark: 'Mn',
  Spacing_Mark: 'Mc',
  Enclosing_Mark: 'Me',
  Number: 'N',
  Decimal_Number: 'Nd',
  digit: 'Nd',
  Letter_Number: 'Nl',
  Other_Number: 'No',
  Punctuation: 'P',
  punct: 'P',
  Connector_Punctuation: 'Pc',
  Dash_Punctuation: 'Pd',
  Open_Punctuation: 'Ps',
  Close_Punctuation: 'Pe',
  Initial_Punctuation: 'Pi',
  Final_Punctuation: 'Pf',
  Other_Punctuation: 'Po',
  Symbol: 'S',
  Math_Symbol: 'Sm',
  Currency_Symbol: 'Sc',
  Modifier_Symbol: 'Sk',
  Other_Symbol: 'So',
  Separator: 'Z',
  Space_Separator: 'Zs',
  Line_Separator: 'Zl',
  Paragraph_Separator: 'Zp',
  Other: 'C',
  Control: 'Cc',
  cntrl: 'Cc',
  Format: 'Cf',
  Unassigned: 'Cn',
  Private_Use: 'Co',
  Surrogate: 'Cs',
};
const SHORT_CATEGORIES = new Set(Object.values(CATEGORIES));

class Refusal extends Error {
  constructor(
    readonly reason: string,
    readonly index: number,
  ) {
    super(reason);
  }
}

const hex = (cp: number) => `\\x{${cp.toString(16).toUpperCase()}}`;
const isHex = (s: string) => /^[0-9A-Fa-f]+$/.test(s);

/** Translates an ECMAScript (Unicode-mode) pattern, already checked by the JS parser, to RE2. */
function translate(src: string, dotAll: boolean): string {
  let out = '';
  let i = 0;
  let inClass = false;
  const refuse = (reason: string, at = i): never => {
    throw new Refusal(reason, at);
  };

  /** Reads one escape starting at `src[i] === '\\'`; returns its RE2 text. */
  const escape = (): string => {
    const start = i;
    const c = src[i + 1] as string;
    i += 2;
    switch (c) {
      case 'd':
      case 'D':
      case 'w':
      case 'W':
      case 't':
      case 'n':
      case 'r':
      case 'f':
        return '\\' + c;
      case 'v':
        return '\\x{0B}';
      case 'b':
        return inClass ? '\\x{8}' : '\\b';
      case 'B':
        return '\\B';
      case 's':
        return inClass ? WHITESPACE : `[${WHITESPACE}]`;
      case 'S':
        if (inClass) refuse('\\S inside a character class is not supported', start);
        return `[^${WHITESPACE}]`;
      case '0':
        return '\\x{0}';
      case 'c': {
        const letter = src.charCodeAt(i);
        i += 1;
        return hex(letter % 32);
      }
      case 'x': {
        const h = src.slice(i, i + 2);
        i += 2;
        return `\\x{${h}}`;
      }
      case 'u': {
        let cp: number;
        if (src[i] === '{') {
          const end = src.indexOf('}', i);
          cp = parseInt(src.slice(i + 1, end), 16);
          i = end + 1;
        } else {
          cp = parseInt(src.slice(i, i + 4), 16);
          i += 4;
          if (
            cp >= 0xd800 &&
            cp <= 0xdbff &&
            src.startsWith('\\u', i) &&
            isHex(src.slice(i + 2, i + 6))
          ) {
            const low = parseInt(src.slice(i + 2, i + 6), 16);
            if (low >= 0xdc00 && low <= 0xdfff) {
              cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
              i += 6;
            }
          }
        }
        if (cp >= 0xd800 && cp <= 0xdfff)
          refuse('a lone surrogate escape cannot be matched', start);
        return hex(cp);
      }
      case 'p':
      case 'P': {
        const end = src.indexOf('}', i);
        const body = src.slice(i + 1, end);
        i = end + 1;
        const eq = body.indexOf('=');
        const key = eq < 0 ? undefined : body.slice(0, eq);
        let value = eq < 0 ? body : body.slice(eq + 1);
        if (key === 'Script_Extensions' || key === 'scx') {
          refuse(`\\${c}{${body}}: Script_Extensions is not supported (use Script=)`, start);
        }
        if (key === 'General_Category' || key === 'gc' || key === undefined) {
          value = CATEGORIES[value] ?? value;
          if (key !== undefined && !SHORT_CATEGORIES.has(value)) {
            refuse(`\\${c}{${body}}: unknown General_Category`, start);
          }
        }
        if (value === 'Any') return c === 'p' ? (inClass ? '\\x{0}-\\x{10FFFF}' : ANY) : NOTHING;
        // Binary properties other than Any (Alphabetic, Emoji, ASCII, ...) and script aliases
        // (Grek) have no RE2 spelling: RE2 refuses them when the result is compiled.
        return `\\${c}{${value}}`;
      }
      case 'k':
        return refuse('backreferences (\\k<name>) need backtracking', start);
      default:
        if (c >= '1' && c <= '9') return refuse('backreferences (\\1...) need backtracking', start);
        // Syntax characters and `/`, `-`: the same identity escape in RE2.
        return '\\' + c;
    }
  };

  while (i < src.length) {
    const ch = src[i] as string;
    if (ch === '\\') {
      out += escape();
      continue;
    }
    if (inClass) {
      if (ch === ']') inClass = false;
      // A `[` is literal inside an ECMAScript class but opens `[:alpha:]` in RE2.
      out += ch === '[' ? '\\[' : ch;
      i += 1;
      continue;
    }
    switch (ch) {
      case '[': {
        if (src.startsWith('[^]', i)) {
          out += ANY;
          i += 3;
        } else if (src.startsWith('[]', i)) {
          out += NOTHING;
          i += 2;
        } else {
          inClass = true;
          out += src[i + 1] === '^' ? '[^' : '[';
          i += src[i + 1] === '^' ? 2 : 1;
          // A `]` right after `[` or `[^` closes an empty class in ECMAScript.
        }
        break;
      }
      case '.':
        out += dotAll ? ANY : DOT;
        i += 1;
        break;
      case '(':
        if (src.startsWith('(?=', i) || src.startsWith('(?!', i)) {
          refuse('lookahead ((?=...), (?!...)) is not supported');
        }
        if (src.startsWith('(?<=', i) || src.startsWith('(?<!', i)) {
          refuse('lookbehind ((?<=...), (?<!...)) is not supported');
        }
        out += ch;
        i += 1;
        break;
      default:
        out += ch;
        i += 1;
    }
  }
  return out;
}

function refusal(
  pkg: string,
  what: string,
  source: string,
  reason: string,
  cause?: unknown,
): PlinthError<'E_INVALID_PATTERN'> {
  const shown = source.length > 200 ? `${source.slice(0, 200)}…` : source;
  return new PlinthError({
    code: 'E_INVALID_PATTERN',
    package: pkg,
    message: `${what} ${JSON.stringify(shown)} cannot be used: ${reason}`,
    details: { pattern: shown, reason },
    cause,
  });
}

/**
 * Compiles a regular expression that comes from user data for linear-time matching. `flags` may
 * hold `i` (case-insensitive), `s` (dot matches line terminators) and `u` (always implied);
 * `g`, `y`, `d` are accepted and ignored (only `test()` is offered), `m` and `v` are refused.
 * Throws `E_INVALID_PATTERN` naming the pattern and the reason.
 */
export function compileUserPattern(
  source: string,
  flags = 'u',
  options: UserPatternOptions = {},
): UserPattern {
  const pkg = options.package ?? '@plinth/core';
  const what = options.what ?? 'pattern';
  if (typeof source !== 'string') {
    throw refusal(pkg, what, String(source), 'a pattern must be a string');
  }
  if (typeof flags !== 'string' || !/^[gimsuyd]*$/.test(flags)) {
    throw refusal(pkg, what, source, `unknown flags ${JSON.stringify(flags)}`);
  }
  if (flags.includes('m')) {
    throw refusal(pkg, what, source, 'the m (multiline) flag is not supported');
  }
  const ignoreCase = flags.includes('i');
  const dotAll = flags.includes('s');
  try {
    // The JavaScript parser is the judge of syntax (compiling never backtracks).
    new RegExp(source, `u${ignoreCase ? 'i' : ''}${dotAll ? 's' : ''}`);
  } catch (error) {
    throw refusal(pkg, what, source, (error as Error).message, error);
  }
  let re2: RE2JS;
  try {
    re2 = RE2JS.compile(translate(source, dotAll), ignoreCase ? RE2JS.CASE_INSENSITIVE : 0);
  } catch (error) {
    if (error instanceof Refusal) {
      throw refusal(pkg, what, source, `${error.reason} (at index ${error.index})`);
    }
    const detail = (error as Error).message.replace(/^error parsing regexp: /, '');
    throw refusal(pkg, what, source, `the linear-time engine cannot express it (${detail})`, error);
  }
  const kept = `${ignoreCase ? 'i' : ''}${dotAll ? 's' : ''}u`;
  return {
    source,
    flags: kept,
    test: (input: string) => re2.matcher(input).find(),
    toString: () => `/${source}/${kept}`,
  };
}

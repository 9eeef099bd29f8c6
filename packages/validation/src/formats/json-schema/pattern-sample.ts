/**
 * Draws a string matching a regular expression, for the common subset used in schemas:
 * literals, escapes (`\d \w \s \.`), classes (`[a-z0-9_]`, `[^…]` is skipped), groups with
 * alternation, quantifiers (`? * + {n} {n,m}`) and anchors. Returns `undefined` for anything
 * else; callers validate the result, so a miss only means one sample fewer.
 */
const DIGITS = '0123456789';
const WORD = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_';

type Gen = (random: () => number) => string;

export function samplePattern(pattern: string, random: () => number): string | undefined {
  if (pattern.length > 256) return undefined;
  let i = 0;
  const pick = (s: string) => s[Math.floor(random() * s.length)] ?? '';
  const fail = (): never => {
    throw new Error('unsupported');
  };

  const parseClass = (): Gen => {
    i++; // [
    if (pattern[i] === '^') fail();
    let chars = '';
    while (i < pattern.length && pattern[i] !== ']') {
      let c = pattern[i] as string;
      if (c === '\\') {
        i++;
        const e = pattern[i] ?? '';
        chars += e === 'd' ? DIGITS : e === 'w' ? WORD : e === 's' ? ' ' : e;
        i++;
        continue;
      }
      if (pattern[i + 1] === '-' && pattern[i + 2] !== undefined && pattern[i + 2] !== ']') {
        const to = (pattern[i + 2] as string).charCodeAt(0);
        for (let x = c.charCodeAt(0); x <= to && x - c.charCodeAt(0) < 128; x++)
          chars += String.fromCharCode(x);
        i += 3;
        continue;
      }
      chars += c;
      i++;
      c = '';
    }
    if (pattern[i] !== ']' || chars === '') fail();
    i++;
    return () => pick(chars);
  };

  const parseAtom = (): Gen => {
    const c = pattern[i] as string;
    if (c === '(') {
      i++;
      if (pattern.startsWith('?:', i)) i += 2;
      const alt = parseAlternation();
      if (pattern[i] !== ')') fail();
      i++;
      return alt;
    }
    if (c === '[') return parseClass();
    if (c === '.') {
      i++;
      return () => pick(WORD);
    }
    if (c === '\\') {
      const e = pattern[i + 1] ?? '';
      i += 2;
      if (e === 'd') return () => pick(DIGITS);
      if (e === 'w') return () => pick(WORD);
      if (e === 's') return () => ' ';
      if (/[A-Za-z]/.test(e)) fail();
      return () => e;
    }
    if ('*+?{}|)'.includes(c)) fail();
    i++;
    return () => c;
  };

  const parseQuantified = (): Gen => {
    const atom = parseAtom();
    const q = pattern[i];
    let min = 1;
    let max = 1;
    if (q === '?' || q === '*' || q === '+') {
      i++;
      min = q === '+' ? 1 : 0;
      max = q === '?' ? 1 : 4;
    } else if (q === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
      if (m === null) fail();
      const mm = m as RegExpExecArray;
      i += mm[0].length;
      min = Number(mm[1]);
      max = mm[2] === undefined ? min : mm[3] === '' ? min + 4 : Number(mm[3]);
      if (max > 64) fail();
    }
    if (pattern[i] === '?') i++; // lazy: same strings
    return (r) => {
      const n = min + Math.floor(r() * (max - min + 1));
      let out = '';
      for (let k = 0; k < n; k++) out += atom(r);
      return out;
    };
  };

  const parseSequence = (): Gen => {
    const parts: Gen[] = [];
    while (i < pattern.length && pattern[i] !== '|' && pattern[i] !== ')') {
      if (pattern[i] === '^' || pattern[i] === '$') {
        i++;
        continue;
      }
      parts.push(parseQuantified());
    }
    return (r) => parts.map((p) => p(r)).join('');
  };

  function parseAlternation(): Gen {
    const alts = [parseSequence()];
    while (pattern[i] === '|') {
      i++;
      alts.push(parseSequence());
    }
    return (r) => (alts[Math.floor(r() * alts.length)] as Gen)(r);
  }

  try {
    const gen = parseAlternation();
    if (i !== pattern.length) return undefined;
    // Unanchored patterns match anywhere, so the bare match is a fine sample.
    return gen(random);
  } catch {
    return undefined;
  }
}

import { checkName, isPlinthError, printableName } from '@plinth/core';
import { Registry } from '../registry.js';
import { ConfluentError } from './errors.js';

/**
 * Confluent's answer for a subject its validation refuses (422, 42208, its message), followed
 * by the rule of Plinth's name policy the subject breaks.
 */
function checkSubject(subject: string): void {
  try {
    checkName(subject, { what: 'subject', package: '@plinth/registry' });
  } catch (error) {
    if (!isPlinthError(error, 'E_INVALID_NAME')) throw error;
    const why = error.message.replace(/^\[[^\]]*\] subject "(?:[^"\\]|\\.)*" /, '');
    throw new ConfluentError(
      422,
      42208,
      `The specified subject '${printableName(subject, { ascii: true }).slice(1, -1)}' is not a valid. It ${why}.`,
    );
  }
}

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const ESCAPED = 'x--';

/**
 * Maps Confluent subjects to registry artifacts and back:
 * - `orders-value` → `<group>/orders-value` (a subject that is a valid name segment);
 * - `payments/orders` → that Plinth artifact (any other group), so native schemas are visible;
 * - anything else (`:.ctx:orders`, `a b`) → `<group>/x--<hex of the UTF-8>`.
 */
export class SubjectNames {
  readonly #group: string;

  constructor(group: string) {
    this.#group = group;
  }

  get group(): string {
    return this.#group;
  }

  toArtifact(subject: string): string {
    if (subject.length === 0) throw new ConfluentError(422, 42208, 'Subject must not be empty');
    checkSubject(subject);
    if (SEGMENT.test(subject) && !subject.startsWith(ESCAPED)) return `${this.#group}/${subject}`;
    const slash = subject.indexOf('/');
    if (slash > 0) {
      const g = subject.slice(0, slash);
      const n = subject.slice(slash + 1);
      if (g !== this.#group && SEGMENT.test(g) && SEGMENT.test(n)) return subject;
    }
    const name = ESCAPED + Buffer.from(subject, 'utf8').toString('hex');
    if (name.length > 128) {
      throw new ConfluentError(422, 42208, `Subject ${JSON.stringify(subject)} is too long`);
    }
    return `${this.#group}/${name}`;
  }

  toSubject(artifact: string): string {
    const { artifact: key } = Registry.parseRef(artifact);
    const slash = key.indexOf('/');
    const g = key.slice(0, slash);
    const n = key.slice(slash + 1);
    if (g !== this.#group) return key;
    if (n.startsWith(ESCAPED)) return Buffer.from(n.slice(ESCAPED.length), 'hex').toString('utf8');
    return n;
  }

  /** A name in the group that no subject maps to: its effective rules are the group's. */
  get probe(): string {
    return `${this.#group}/${ESCAPED}`;
  }
}

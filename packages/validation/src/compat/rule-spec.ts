import type { ProtobufStrictness, SchemaReference } from '../types.js';

/** One entry of the compatibility rule catalogue. */
export interface RuleSpec {
  readonly format: 'json-schema' | 'avro' | 'protobuf';
  readonly description: string;
  /** A minimal before → after pair that produces the rule (also the golden test). */
  readonly example: {
    readonly before: unknown;
    readonly after: unknown;
    readonly protobufStrictness?: ProtobufStrictness;
    /** References of the two versions (rules over a schema's file set). */
    readonly references?: {
      readonly before: readonly SchemaReference[];
      readonly after: readonly SchemaReference[];
    };
    readonly jsonSchemaPolicy?: 'strict' | 'lenient';
    /** Avro resolution rules are reported by checks, not diffs: the direction to check. */
    readonly check?: 'backward' | 'forward';
  };
}

export type Spec = Omit<RuleSpec, 'format'>;
export const rules: Record<string, RuleSpec> = {};
export const def = (
  format: RuleSpec['format'],
  id: string,
  description: string,
  example: Spec['example'],
) => {
  rules[id] = { format, description, example };
};

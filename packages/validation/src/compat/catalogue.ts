import { defineAvroRules } from './catalogue-avro.js';
import { defineJsonSchemaRules } from './catalogue-json-schema.js';
import { defineProtobufRules } from './catalogue-protobuf.js';
import { rules, type RuleSpec } from './rule-spec.js';

defineJsonSchemaRules();
defineAvroRules();
defineProtobufRules();

export type { RuleSpec } from './rule-spec.js';

/**
 * Every rule id the built-in formats report, with what it means and a minimal example. Ids are
 * stable: they appear in `SchemaChange.rule`, ignore lists and the README catalogue.
 */
export const COMPATIBILITY_RULES: Readonly<Record<string, RuleSpec>> = Object.freeze(rules);

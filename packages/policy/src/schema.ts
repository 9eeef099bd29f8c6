import { policyErrors } from './errors.js';
import { DEFAULT_POLICY_LIMITS } from './options.js';
import type { ActionDef, EntityTypeDef, SchemaJson, SchemaModel } from './internal/schema/model.js';
import { resolveOrThrow } from './internal/schema/resolve.js';
import { parseSchemaText, textLineColumn } from './internal/schema/text-parser.js';
import { EntityUID } from './internal/values.js';
import type { PolicyLimits } from './types.js';

export type {
  ActionDef,
  AttributeType,
  EntityTypeDef,
  RecordAttrs,
  SchemaType,
  ActionJson,
  AttributeTypeJson,
  EntityTypeJson,
  NamespaceJson,
  SchemaJson,
  SchemaTypeJson,
} from './internal/schema/model.js';

/** One request environment: a principal type, an action and a resource type the action applies to. */
export interface RequestEnvironment {
  readonly principalType: string;
  readonly action: EntityUID;
  readonly resourceType: string;
}

export interface SchemaOptions {
  /** Input limits (`maxDocumentSize` bounds the schema text). @default DEFAULT_POLICY_LIMITS */
  readonly limits?: Partial<PolicyLimits>;
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

/**
 * A Cedar schema (Cedar 4.5), from Cedar's schema syntax or its JSON format. Immutable.
 * Names are resolved as Cedar resolves them: relative to the enclosing namespace first, common
 * types before entity types, then the empty namespace and the built-in types.
 */
export class Schema {
  private readonly envs: readonly RequestEnvironment[];

  private constructor(
    private readonly json: SchemaJson,
    /** @internal the resolved model the validator reads. */
    readonly model: SchemaModel,
  ) {
    const envs: RequestEnvironment[] = [];
    for (const a of model.actions.values()) {
      if (!a.appliesTo) continue;
      const action = new EntityUID(a.type, a.id);
      for (const principalType of a.appliesTo.principalTypes) {
        for (const resourceType of a.appliesTo.resourceTypes) {
          envs.push(Object.freeze({ principalType, action, resourceType }));
        }
      }
    }
    this.envs = Object.freeze(envs);
  }

  /** Parses Cedar's human schema syntax; `E_SCHEMA_PARSE` with line and column on bad input. */
  static parse(text: string, options: SchemaOptions = {}): Schema {
    if (typeof text !== 'string') {
      throw policyErrors.create(
        'E_INVALID_ARGUMENT',
        'Schema.parse expects the schema text as a string',
      );
    }
    const max = options.limits?.maxDocumentSize ?? DEFAULT_POLICY_LIMITS.maxDocumentSize;
    if (text.length > max) {
      throw policyErrors.create(
        'E_LIMIT_EXCEEDED',
        `schema text has ${text.length} characters, more than ${max}`,
        {
          details: { limit: 'maxDocumentSize', max, actual: text.length },
        },
      );
    }
    const { json, offsets } = parseSchemaText(text);
    const model = resolveOrThrow(json, (pointer) => {
      // The nearest pointer prefix with a recorded offset.
      for (let p = pointer; ; p = p.slice(0, p.lastIndexOf('/'))) {
        const offset = offsets.get(p);
        if (offset !== undefined) return { ...textLineColumn(text, offset), offset, pointer };
        if (p === '') return undefined;
      }
    });
    return new Schema(deepFreeze(json), model);
  }

  /** Reads Cedar's JSON schema format (object or JSON text); `E_SCHEMA_PARSE` with a JSON pointer. */
  static fromJson(json: SchemaJson | string, options: SchemaOptions = {}): Schema {
    let value: unknown = json;
    if (typeof json === 'string') {
      const max = options.limits?.maxDocumentSize ?? DEFAULT_POLICY_LIMITS.maxDocumentSize;
      if (json.length > max) {
        throw policyErrors.create(
          'E_LIMIT_EXCEEDED',
          `schema JSON has ${json.length} characters, more than ${max}`,
          {
            details: { limit: 'maxDocumentSize', max, actual: json.length },
          },
        );
      }
      try {
        value = JSON.parse(json);
      } catch (e) {
        throw policyErrors.create(
          'E_SCHEMA_PARSE',
          `schema is not valid JSON: ${(e as Error).message}`,
          {
            details: { pointer: '' },
            cause: e,
          },
        );
      }
    }
    const model = resolveOrThrow(value);
    return new Schema(deepFreeze(structuredClone(value) as SchemaJson), model);
  }

  /** Cedar's JSON schema format; for a parsed text schema, what cedar's `schemaToJson` gives. */
  toJson(): SchemaJson {
    return structuredClone(this.json) as SchemaJson;
  }

  /** Fully qualified names of the declared entity types, in declaration order. */
  entityTypes(): readonly string[] {
    return [...this.model.entityTypes.keys()];
  }

  /** The declared actions, in declaration order. */
  actions(): readonly EntityUID[] {
    return [...this.model.actions.values()].map((a) => new EntityUID(a.type, a.id));
  }

  /** Every (principal type, action, resource type) the schema allows. */
  requestEnvironments(): readonly RequestEnvironment[] {
    return this.envs;
  }

  /** The declaration of an entity type (fully qualified name). */
  entityType(name: string): EntityTypeDef | undefined {
    return this.model.entityTypes.get(name);
  }

  /** The declaration of an action. */
  action(uid: EntityUID): ActionDef | undefined {
    return this.model.actions.get(uid.key);
  }
}

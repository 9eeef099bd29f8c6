/**
 * Cedar schemas: the JSON schema format (what both parsers produce and `Schema.toJson` returns)
 * and the resolved model the typechecker and the conformance checks read.
 */

/** A type in Cedar's JSON schema format, names as written (not yet resolved). */
export type SchemaTypeJson =
  | { readonly type: 'Long' | 'String' | 'Boolean' }
  | { readonly type: 'Set'; readonly element: SchemaTypeJson }
  | {
      readonly type: 'Record';
      readonly attributes: { readonly [name: string]: AttributeTypeJson };
      readonly additionalAttributes?: boolean;
    }
  | { readonly type: 'Entity' | 'Extension' | 'EntityOrCommon'; readonly name: string }
  /** A reference to a common type by name (`{ "type": "Addr" }`). */
  | { readonly type: string };

/** A record attribute: its type, whether it must be present, its annotations. */
export type AttributeTypeJson = SchemaTypeJson & {
  readonly required?: boolean;
  readonly annotations?: Annotations;
};

export type Annotations = { readonly [name: string]: string };

export interface EntityTypeJson {
  readonly memberOfTypes?: readonly string[];
  readonly shape?: SchemaTypeJson;
  readonly tags?: SchemaTypeJson;
  /** Enumerated entity type: the only ids its entities may have. */
  readonly enum?: readonly string[];
  readonly annotations?: Annotations;
}

export interface ActionRefJson {
  readonly id: string;
  readonly type?: string;
}

export interface ActionJson {
  readonly appliesTo?: {
    readonly principalTypes: readonly string[];
    readonly resourceTypes: readonly string[];
    readonly context?: SchemaTypeJson;
  };
  readonly memberOf?: readonly ActionRefJson[];
  readonly annotations?: Annotations;
}

export interface NamespaceJson {
  readonly commonTypes?: {
    readonly [name: string]: SchemaTypeJson & { annotations?: Annotations };
  };
  readonly entityTypes: { readonly [name: string]: EntityTypeJson };
  readonly actions: { readonly [name: string]: ActionJson };
  readonly annotations?: Annotations;
}

/** Cedar's JSON schema: namespace name (`""` for none) → its declarations. */
export type SchemaJson = { readonly [namespace: string]: NamespaceJson };

/** A resolved type: every name is fully qualified, common types are inlined. */
export type SchemaType =
  | { readonly kind: 'Long' }
  | { readonly kind: 'String' }
  | { readonly kind: 'Bool' }
  | { readonly kind: 'Set'; readonly element: SchemaType }
  | { readonly kind: 'Record'; readonly attrs: RecordAttrs; readonly open: boolean }
  | { readonly kind: 'Entity'; readonly name: string }
  | { readonly kind: 'Extension'; readonly name: string };

export interface AttributeType {
  readonly type: SchemaType;
  readonly required: boolean;
}

export type RecordAttrs = ReadonlyMap<string, AttributeType>;

export interface EntityTypeDef {
  readonly name: string;
  /** Fully qualified parent types (`memberOfTypes`). */
  readonly memberOfTypes: readonly string[];
  readonly shape: RecordAttrs;
  readonly tags?: SchemaType;
  readonly enum?: readonly string[];
  readonly annotations: Annotations;
}

export interface ActionDef {
  /** The action's entity type (`Action`, `NS::Action`). */
  readonly type: string;
  readonly id: string;
  /** `Type::"id"`, the key in {@link SchemaModel.actions}. */
  readonly key: string;
  /** Keys of the action groups this action is a direct member of. */
  readonly memberOf: readonly string[];
  /** `undefined` when the action applies to nothing (no `appliesTo`, or empty lists). */
  readonly appliesTo?: {
    readonly principalTypes: readonly string[];
    readonly resourceTypes: readonly string[];
    readonly context: RecordAttrs;
    readonly contextOpen: boolean;
  };
  readonly annotations: Annotations;
}

export interface SchemaModel {
  readonly entityTypes: ReadonlyMap<string, EntityTypeDef>;
  readonly actions: ReadonlyMap<string, ActionDef>;
  /** Entity type → the entity types that may be `in` it (itself, and its transitive member types). */
  readonly entityDescendants: ReadonlyMap<string, ReadonlySet<string>>;
  /** Action key → the keys of the actions `in` it (itself included). */
  readonly actionDescendants: ReadonlyMap<string, ReadonlySet<string>>;
  /** Action entity types (`Action`, `NS::Action`) declared by the schema. */
  readonly actionTypes: ReadonlySet<string>;
}

/** The extension types Cedar 4.5 knows. */
export const EXTENSION_TYPES: ReadonlySet<string> = new Set([
  'ipaddr',
  'decimal',
  'datetime',
  'duration',
]);

/** `A::B::C` → `['A::B', 'C']`; no namespace → `['', name]`. */
export function splitName(name: string): readonly [string, string] {
  const i = name.lastIndexOf('::');
  return i < 0 ? ['', name] : [name.slice(0, i), name.slice(i + 2)];
}

/** `NS` + `X` → `NS::X` (or `X` in the empty namespace). */
export function qualify(ns: string, name: string): string {
  return ns === '' ? name : `${ns}::${name}`;
}

/** True for an action entity type name: `Action` or `…::Action`. */
export function isActionTypeName(type: string): boolean {
  return type === 'Action' || type.endsWith('::Action');
}

/** Cedar's `Type::"id"` text of an action. */
export function actionKey(type: string, id: string): string {
  return `${type}::${JSON.stringify(id)}`;
}

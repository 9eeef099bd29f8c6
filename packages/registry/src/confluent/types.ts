import type { Store } from '@plinth/storage';
import type { Registry } from '../registry.js';
import type { SchemaEngine } from '../schema-engine.js';

/** An HTTP request as any framework can hand it over. */
export interface ConfluentRequest {
  /** `GET`, `POST`, `PUT`, `DELETE` (any case). */
  readonly method: string;
  /** The path after the mount prefix, e.g. `/subjects/orders-value/versions` (still URL-encoded). */
  readonly path: string;
  /** Query parameters (first value wins when a framework gives arrays). */
  readonly query?: Readonly<Record<string, string | readonly string[] | undefined>>;
  readonly headers?: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** A parsed JSON value, or the raw text/bytes (parsed here). */
  readonly body?: unknown;
}

export interface ConfluentResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** The serialized body (JSON text, or `.proto` source for the raw Protobuf schema routes). */
  readonly body: string;
}

export type ConfluentHandler = (request: ConfluentRequest) => Promise<ConfluentResponse>;

/** Confluent's schema types. */
export type ConfluentSchemaType = 'AVRO' | 'JSON' | 'PROTOBUF';

/** Confluent's modes this handler supports. */
export type ConfluentMode = 'READWRITE' | 'READONLY' | 'READONLY_OVERRIDE';

export interface ConfluentReference {
  readonly name: string;
  readonly subject: string;
  readonly version: number;
}

export interface ConfluentHandlerOptions {
  /** The opened registry the API reads and writes. */
  readonly registry: Registry;
  /**
   * The registry group that holds Confluent subjects (`orders-value` → `confluent/orders-value`).
   * A subject written `group/name` addresses that Plinth artifact directly. @default 'confluent'
   */
  readonly group?: string;
  /**
   * Where `/mode` settings persist (the registry's store: shared by every instance). Without it
   * modes live in this process only.
   */
  readonly store?: Store;
  /** Engine for `/compatibility` and lookups. @default new Validation() from @plinth/validation */
  readonly validation?: SchemaEngine;
  /** Who the audit trail names for writes through this API. @default 'confluent-api' */
  readonly actor?: string;
}

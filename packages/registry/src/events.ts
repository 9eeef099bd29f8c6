import type { VersionState } from './types.js';

interface Who {
  readonly actor: string | null;
  readonly at: number;
}

/** Events of @plinth/registry: `namespace:verb`, one payload object, emitted after commit. */
export interface RegistryEvents {
  'artifact:created': Who & { readonly artifact: string; readonly kind: string };
  'artifact:published': Who & {
    readonly artifact: string;
    readonly version: string;
    readonly id: number;
    readonly revision: number;
    readonly contentId: number;
    readonly digest: string;
  };
  'artifact:updated': Who & { readonly artifact: string };
  'artifact:deleted': Who & { readonly artifact: string; readonly permanent: boolean };
  'artifact:restored': Who & { readonly artifact: string };
  'version:activated': Who & { readonly artifact: string; readonly version: string };
  'version:deprecated': Who & { readonly artifact: string; readonly version: string };
  'version:disabled': Who & { readonly artifact: string; readonly version: string };
  'version:drafted': Who & { readonly artifact: string; readonly version: string };
  'version:deleted': Who & {
    readonly artifact: string;
    readonly version: string;
    readonly permanent: boolean;
  };
  'version:restored': Who & { readonly artifact: string; readonly version: string };
  'tag:moved': Who & {
    readonly artifact: string;
    readonly tag: string;
    readonly from: string | null;
    readonly to: string;
    readonly pinned: boolean;
  };
  'tag:removed': Who & { readonly artifact: string; readonly tag: string; readonly from: string };
  'rules:changed': Who & { readonly scope: string };
  'retention:applied': Who & { readonly removed: number; readonly dryRun: boolean };
  'blobs:collected': Who & { readonly deleted: number; readonly bytesFreed: number };
  'registry:mode-changed': Who & { readonly readOnly: boolean };
}

/** The event emitted when a version enters each state. */
export const STATE_EVENTS: Record<VersionState, keyof RegistryEvents> = {
  draft: 'version:drafted',
  active: 'version:activated',
  deprecated: 'version:deprecated',
  disabled: 'version:disabled',
};

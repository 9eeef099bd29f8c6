import { checkName, describeValue } from '@plinth/core';
import semver from 'semver';
import { registryErrors } from '../errors.js';

/**
 * Core's name policy (no control, bidi or invisible characters, NFC, a length bound) with the
 * registry's package in the error; the registry's own syntax rules are checked after it.
 */
function policy(value: unknown, what: string): void {
  if (typeof value === 'string')
    checkName(value, { what, package: '@plinth/registry', maxLength: 257 });
}

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const TAG = /^[A-Za-z][A-Za-z0-9._-]{0,63}$/;
const KIND = /^[a-z][a-z0-9-]{0,31}$/;

export interface ArtifactName {
  readonly key: string;
  readonly group: string;
  readonly name: string;
}

/** Parses and checks `group/name`. */
export function artifactName(value: unknown, what = 'artifact'): ArtifactName {
  if (typeof value !== 'string') {
    throw registryErrors.create('E_INVALID_NAME', `${what} must be a "group/name" string`, {
      details: { [what]: describeValue(value) },
    });
  }
  policy(value, what);
  const slash = value.indexOf('/');
  const group = slash < 0 ? '' : value.slice(0, slash);
  const name = slash < 0 ? '' : value.slice(slash + 1);
  if (!SEGMENT.test(group) || !SEGMENT.test(name)) {
    throw registryErrors.create(
      'E_INVALID_NAME',
      `${what} ${describeValue(value)} must be "group/name", each part matching [A-Za-z0-9][A-Za-z0-9._-]* (at most 128 characters)`,
      { details: { [what]: describeValue(value) } },
    );
  }
  return { key: value, group, name };
}

export function checkGroup(value: unknown): string {
  policy(value, 'group');
  if (typeof value !== 'string' || !SEGMENT.test(value)) {
    throw registryErrors.create('E_INVALID_NAME', `group ${describeValue(value)} is malformed`, {
      details: { group: describeValue(value) },
    });
  }
  return value;
}

export function checkKind(value: unknown): string {
  if (typeof value !== 'string' || !KIND.test(value)) {
    throw registryErrors.create(
      'E_INVALID_ARGUMENT',
      `kind ${describeValue(value)} must be a lowercase word ([a-z][a-z0-9-]*)`,
      { details: { kind: describeValue(value) } },
    );
  }
  return value;
}

/** Tags are names that cannot be mistaken for a semver range (like npm dist-tags). */
export function checkTag(value: unknown): string {
  policy(value, 'tag');
  if (typeof value !== 'string' || !TAG.test(value) || semver.validRange(value) !== null) {
    throw registryErrors.create(
      'E_INVALID_NAME',
      `tag ${describeValue(value)} must match [A-Za-z][A-Za-z0-9._-]* and not be a semver range`,
      { details: { tag: describeValue(value) } },
    );
  }
  return value;
}

export interface ParsedVersion {
  /** Normalised, with build metadata. */
  readonly version: string;
  /** Without build metadata: the identity of the version (1.0.0+a and 1.0.0+b are the same). */
  readonly key: string;
  readonly sv: semver.SemVer;
}

/** Parses a strict semver version. */
export function parseVersion(value: unknown): ParsedVersion {
  const sv = typeof value === 'string' ? semver.parse(value) : null;
  if (sv === null) {
    throw registryErrors.create(
      'E_INVALID_VERSION',
      `version ${describeValue(value)} is not valid semver (MAJOR.MINOR.PATCH[-prerelease][+build])`,
      { details: { version: describeValue(value) } },
    );
  }
  const key = sv.version;
  const version = sv.build.length > 0 ? `${key}+${sv.build.join('.')}` : key;
  return { version, key, sv };
}

export interface ArtifactRef {
  readonly artifact: ArtifactName;
  /** The part after `@`, or undefined (meaning the `latest` tag, else the highest version). */
  readonly selector: string | undefined;
}

/** Parses `group/name`, `group/name@<range>`, `group/name@<tag>` or `group/name@<version>`. */
export function parseRef(value: unknown): ArtifactRef {
  if (typeof value !== 'string') {
    throw registryErrors.create('E_INVALID_ARGUMENT', 'a reference must be a string', {
      details: { ref: describeValue(value) },
    });
  }
  const at = value.indexOf('@');
  if (at < 0) return { artifact: artifactName(value), selector: undefined };
  const selector = value.slice(at + 1).trim();
  return {
    artifact: artifactName(value.slice(0, at)),
    selector: selector === '' ? undefined : selector,
  };
}

/** Key of a version document: `group/name@1.2.3` (no build metadata). */
export function versionDocKey(artifact: string, versionKey: string): string {
  return `${artifact}@${versionKey}`;
}

/** The artifact part of a version document key. */
export function artifactOfVersionKey(key: string): string {
  const at = key.indexOf('@');
  return at < 0 ? key : key.slice(0, at);
}

/**
 * Ed25519 keys and the signed text of an audit checkpoint.
 *
 * The signed text is a checkpoint body in the C2SP signed-note / checkpoint layout:
 *
 * ```
 * <origin>\n
 * <size, decimal>\n
 * <root hash, 32 bytes, standard base64 with padding>\n
 * ```
 *
 * UTF-8, every line ending in one LF, nothing else. The signature is plain Ed25519 (RFC 8032)
 * over those bytes, stored base64. A key's default id is the first 16 hex digits of SHA-256 of
 * its raw 32-byte public key.
 */
import {
  createPrivateKey,
  createPublicKey,
  sign,
  verify,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { accessErrors } from '../errors.js';
import type { Checkpoint } from '../types.js';
import { sha256Hex } from './secrets.js';

/** What a signing key may be given as. */
export type AuditSigningKey = KeyObject | string | JsonWebKey;
/** What a verification key may be given as (a private key works too: its public half is used). */
export type AuditPublicKey = KeyObject | string | JsonWebKey;

function keyError(message: string, cause?: unknown): never {
  throw accessErrors.create('E_AUDIT_KEY', message, cause === undefined ? {} : { cause });
}

function isEd25519(key: KeyObject): boolean {
  return key.asymmetricKeyType === 'ed25519';
}

/** The Ed25519 private key in `value`, or `E_AUDIT_KEY`. */
export function toPrivateKey(value: unknown): KeyObject {
  let key: KeyObject;
  try {
    if (typeof value === 'object' && value !== null && 'asymmetricKeyType' in value) {
      key = value as KeyObject;
    } else if (typeof value === 'string') {
      key = createPrivateKey(value);
    } else if (typeof value === 'object' && value !== null) {
      key = createPrivateKey({ key: value as JsonWebKey, format: 'jwk' });
    } else {
      return keyError('signingKey must be an Ed25519 private KeyObject, PEM text or JWK');
    }
  } catch (error) {
    return keyError('signingKey is not a readable Ed25519 private key', error);
  }
  if (key.type !== 'private' || !isEd25519(key)) {
    keyError('signingKey must be an Ed25519 private key');
  }
  return key;
}

/** The Ed25519 public key in `value` (or the public half of a private one), or `E_AUDIT_KEY`. */
export function toPublicKey(value: unknown): KeyObject {
  let key: KeyObject;
  try {
    if (typeof value === 'object' && value !== null && 'asymmetricKeyType' in value) {
      key = value as KeyObject;
      if (key.type === 'private') key = createPublicKey(key);
    } else if (typeof value === 'string') {
      key = createPublicKey(value);
    } else if (typeof value === 'object' && value !== null) {
      key = createPublicKey({ key: value as JsonWebKey, format: 'jwk' });
    } else {
      return keyError('a public key must be an Ed25519 KeyObject, PEM text or JWK');
    }
  } catch (error) {
    return keyError('not a readable Ed25519 public key', error);
  }
  if (key.type !== 'public' || !isEd25519(key)) keyError('the key is not an Ed25519 public key');
  return key;
}

/** The default key id: 16 hex digits of SHA-256 of the raw public key. */
export function defaultKeyId(publicKey: KeyObject): string {
  const x = (publicKey.export({ format: 'jwk' }) as { x: string }).x;
  return sha256Hex(Buffer.from(x, 'base64url')).slice(0, 16);
}

/** The exact text a checkpoint's signature covers. */
export function checkpointNote(origin: string, size: number, rootHex: string): string {
  return `${origin}\n${size}\n${Buffer.from(rootHex, 'hex').toString('base64')}\n`;
}

/** Ed25519 signature (base64) over the checkpoint note. */
export function signNote(note: string, key: KeyObject): string {
  return sign(null, Buffer.from(note, 'utf8'), key).toString('base64');
}

/** Whether `checkpoint.signature` is a valid signature by `publicKey`. Never throws. */
export function checkpointSignatureValid(checkpoint: Checkpoint, publicKey: KeyObject): boolean {
  try {
    if (!/^[0-9a-f]{64}$/.test(checkpoint.root)) return false;
    const note = checkpointNote(checkpoint.origin, checkpoint.size, checkpoint.root);
    return verify(
      null,
      Buffer.from(note, 'utf8'),
      publicKey,
      Buffer.from(checkpoint.signature, 'base64'),
    );
  } catch {
    return false;
  }
}

/** An origin line: printable, no line break, 1–256 characters. */
export const ORIGIN_PATTERN = /^[\x21-\x7e][\x20-\x7e]{0,255}$/;

/**
 * The encoding MVCC requests and results had before the binary format (request-codec.ts): JSON with
 * Buffers as `{"$b": base64}`. Entries in that form remain in existing Raft logs and data
 * directories, so they are still decoded; nothing writes it any more except tests.
 */
import { asBuffer, MvccCodecError, MvccCodecErrorCode, malformed } from './binary-io.js';
import type { MvccRequest, MvccResult } from './types.js';

/** Copies `value` with every Uint8Array replaced by `{ $b: base64 }` (faster than a JSON replacer). */
function toJsonValue(value: unknown): unknown {
  if (value instanceof Uint8Array) {
    return { $b: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
  }
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value)) out[key] = toJsonValue(field);
    return out;
  }
  return value;
}

/** Turns every `{ $b: base64 }` of a freshly parsed value back into a Buffer, in place. */
function fromJsonValue(value: unknown): unknown {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = fromJsonValue(value[i]);
    return value;
  }
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (typeof record.$b === 'string') return Buffer.from(record.$b, 'base64');
    for (const key of Object.keys(record)) record[key] = fromJsonValue(record[key]);
  }
  return value;
}

/**
 * The encoding requests and results had before the binary format: JSON with Buffers as
 * `{"$b": base64}`. Kept only so that tests and tools can produce legacy bytes; nothing writes it.
 */
export function encodeLegacyJson(value: MvccRequest | MvccResult): Uint8Array {
  return Buffer.from(JSON.stringify(toJsonValue(value)), 'utf8');
}

/** Decodes what {@link encodeLegacyJson} produced (the shape is trusted, as it always was). */
export function decodeLegacyJson<T>(bytes: Uint8Array): T {
  const text = asBuffer(bytes).toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new MvccCodecError(MvccCodecErrorCode.Malformed, 'mvcc codec: malformed legacy JSON', {
      cause: error,
    });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw malformed('legacy JSON is not an object');
  }
  return fromJsonValue(parsed) as T;
}

/**
 * Validation of ConfigMaps and Secrets: key syntax, the 1 MiB size limit, base64 secret
 * data, type-specific required keys, and the `immutable` flag on update.
 */
import { Buffer } from 'node:buffer';
import type { ConfigMap, Secret } from '../types/core.js';
import { FieldErrors, key } from './field.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './meta.js';
import { isConfigMapKey, nameIsDNSSubdomain } from './names.js';

/** Largest total data size of a ConfigMap or Secret (1 MiB), as in Kubernetes. */
export const MAX_DATA_SIZE_BYTES = 1024 * 1024;

const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

/** Full validation of a ConfigMap. */
export function validateConfigMap(configMap: ConfigMap): FieldErrors {
  const errors = new FieldErrors();
  validateObjectMeta(errors, configMap.metadata, { namespaced: true, validateName: nameIsDNSSubdomain });
  let totalBytes = 0;
  const dataKeys = new Set<string>();
  for (const [name, value] of errors.stringMap('data', configMap.data)) {
    errors.invalidEach(key('data', name), name, isConfigMapKey(name));
    dataKeys.add(name);
    totalBytes += Buffer.byteLength(value);
  }
  for (const [name, value] of errors.stringMap('binaryData', configMap.binaryData)) {
    errors.invalidEach(key('binaryData', name), name, isConfigMapKey(name));
    if (dataKeys.has(name)) errors.invalid(key('data', name), name, 'duplicate of key present in binaryData');
    if (!isBase64(value)) errors.invalid(key('binaryData', name), '<binary>', 'must be base64-encoded');
    totalBytes += Buffer.from(value, 'base64').length;
  }
  if (totalBytes > MAX_DATA_SIZE_BYTES) errors.tooLong('', MAX_DATA_SIZE_BYTES);
  if (configMap.immutable !== undefined && typeof configMap.immutable !== 'boolean') {
    errors.typeInvalid('immutable', configMap.immutable, 'a boolean');
  }
  return errors;
}

function isBase64(value: string): boolean {
  return value.length % 4 === 0 && BASE64_RE.test(value);
}

/** ConfigMap update: data frozen once `immutable` was true, and the flag cannot be cleared. */
export function validateConfigMapUpdate(next: ConfigMap, previous: ConfigMap): FieldErrors {
  const errors = validateConfigMap(next);
  validateObjectMetaUpdate(errors, next.metadata, previous.metadata);
  if (previous.immutable === true) {
    if (next.immutable !== true) errors.forbidden('immutable', 'field is immutable when `immutable` is set');
    if (JSON.stringify(sorted(next.data)) !== JSON.stringify(sorted(previous.data))) {
      errors.forbidden('data', 'field is immutable when `immutable` is set');
    }
    if (JSON.stringify(sorted(next.binaryData)) !== JSON.stringify(sorted(previous.binaryData))) {
      errors.forbidden('binaryData', 'field is immutable when `immutable` is set');
    }
  }
  return errors;
}

function sorted(map: Record<string, string> | undefined): Array<[string, string]> {
  return Object.entries(map ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Keys a typed secret must carry. */
const REQUIRED_KEYS: Record<string, string[]> = {
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
  'kubernetes.io/dockercfg': ['.dockercfg'],
  'kubernetes.io/tls': ['tls.crt', 'tls.key'],
  'kubernetes.io/ssh-auth': ['ssh-privatekey'],
};

/**
 * Full validation of a Secret. `data` values must be base64 (stringData, if still present,
 * is plain text and is merged by defaulting).
 */
export function validateSecret(secret: Secret): FieldErrors {
  const errors = new FieldErrors();
  validateObjectMeta(errors, secret.metadata, { namespaced: true, validateName: nameIsDNSSubdomain });
  let totalBytes = 0;
  const present = new Set<string>();
  for (const [name, value] of errors.stringMap('data', secret.data)) {
    errors.invalidEach(key('data', name), name, isConfigMapKey(name));
    if (!isBase64(value))
      errors.invalid(key('data', name), '<secret contents redacted>', 'must be base64-encoded');
    totalBytes += Buffer.from(value, 'base64').length;
    present.add(name);
  }
  for (const [name, value] of errors.stringMap('stringData', secret.stringData)) {
    errors.invalidEach(key('stringData', name), name, isConfigMapKey(name));
    totalBytes += Buffer.byteLength(value);
    present.add(name);
  }
  if (totalBytes > MAX_DATA_SIZE_BYTES) errors.tooLong('data', MAX_DATA_SIZE_BYTES);
  if (errors.isString('type', secret.type)) {
    for (const required of REQUIRED_KEYS[secret.type] ?? []) {
      if (!present.has(required)) errors.required(key('data', required));
    }
    if (secret.type === 'kubernetes.io/basic-auth' && !present.has('username') && !present.has('password')) {
      errors.required(key('data', 'username'), 'either username or password is required');
    }
    if (secret.type === 'kubernetes.io/service-account-token') {
      const account = secret.metadata?.annotations?.['kubernetes.io/service-account.name'];
      if (account === undefined || account === '')
        errors.required('metadata.annotations[kubernetes.io/service-account.name]');
    }
  }
  if (secret.immutable !== undefined && typeof secret.immutable !== 'boolean') {
    errors.typeInvalid('immutable', secret.immutable, 'a boolean');
  }
  return errors;
}

/** Secret update: type immutable; data frozen once `immutable` was true. */
export function validateSecretUpdate(next: Secret, previous: Secret): FieldErrors {
  const errors = validateSecret(next);
  validateObjectMetaUpdate(errors, next.metadata, previous.metadata);
  if ((next.type ?? 'Opaque') !== (previous.type ?? 'Opaque'))
    errors.invalid('type', next.type ?? '', 'field is immutable');
  if (previous.immutable === true) {
    if (next.immutable !== true) errors.forbidden('immutable', 'field is immutable when `immutable` is set');
    if (
      JSON.stringify(sorted(next.data)) !== JSON.stringify(sorted(previous.data)) ||
      next.stringData !== undefined
    ) {
      errors.forbidden('data', 'field is immutable when `immutable` is set');
    }
  }
  return errors;
}

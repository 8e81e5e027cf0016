import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  applyDefaults,
  type KubeObject,
  lookupResource,
  resourceForKind,
  validateObject,
} from '@navarch/api';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

/**
 * The tutorial manifests: the shared copy on the build host when present (it may gain files),
 * else the snapshot kept beside this test so the suite runs anywhere.
 */
const SHARED_DIR = '/work/shared/manifests';
const MANIFEST_DIR = existsSync(SHARED_DIR) ? SHARED_DIR : join(import.meta.dirname, 'fixtures', 'manifests');

const documents: Array<[string, KubeObject]> = readdirSync(MANIFEST_DIR)
  .filter((file) => file.endsWith('.yaml'))
  .sort()
  .flatMap((file) =>
    parseAllDocuments(readFileSync(join(MANIFEST_DIR, file), 'utf8')).map(
      (document, position): [string, KubeObject] => [`${file}#${position}`, document.toJS() as KubeObject],
    ),
  );

describe('tutorial manifests', () => {
  it('are all found', () => {
    expect(documents.length).toBeGreaterThanOrEqual(20);
  });

  it.each(documents)('%s is served, defaults idempotently and validates cleanly', (_, manifest) => {
    const info = resourceForKind(manifest.apiVersion ?? '', manifest.kind ?? '');
    expect(info).toBeDefined();
    // The API server fills the namespace from the request path before validating.
    const object = structuredClone(manifest);
    if (info?.namespaced === true) object.metadata.namespace ??= 'default';
    const defaulted = applyDefaults(object);
    expect(validateObject(defaulted)).toEqual([]);
    expect(applyDefaults(defaulted)).toEqual(defaulted);
    expect(JSON.parse(JSON.stringify(defaulted))).toEqual(defaulted);
    expect(lookupResource(info?.resource ?? '')).toBe(info);
  });

  it('decodes the stringData secret of 08 into base64 data', () => {
    const secret = documents.find(([name, object]) => name.startsWith('08') && object.kind === 'Secret')?.[1];
    const defaulted = applyDefaults(secret!) as KubeObject & { data?: Record<string, string> };
    expect(Buffer.from(defaulted.data?.DB_PASSWORD ?? '', 'base64').toString()).toBe('supersecret123');
  });
});

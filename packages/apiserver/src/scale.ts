/**
 * The `scale` subresource: an autoscaling/v1 Scale view of a workload's spec.replicas, with the
 * same optimistic concurrency as the object itself.
 */
import { type LabelSelector, labelSelectorAsSelector } from '@navarch/api';
import { ApiError } from './errors.js';
import type { KubeObject } from './objects.js';
import type { Registry } from './registry.js';
import type { ResourceInfo } from './resources.js';

const maxAttempts = 16;

/** The Scale for a workload object. */
export function toScale(obj: KubeObject): KubeObject {
  const spec = obj.spec ?? {};
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: obj.metadata.name,
      namespace: obj.metadata.namespace,
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
      creationTimestamp: obj.metadata.creationTimestamp,
    },
    spec: { replicas: typeof spec.replicas === 'number' ? spec.replicas : 1 },
    status: {
      replicas: typeof obj.status?.replicas === 'number' ? obj.status.replicas : 0,
      selector: selectorText(spec.selector),
    },
  };
}

/** Scale.status.selector: the canonical selector string ('' when absent or malformed). */
function selectorText(selector: unknown): string {
  if (selector === null || typeof selector !== 'object') return '';
  try {
    return labelSelectorAsSelector(selector as LabelSelector).toString();
  } catch {
    return '';
  }
}

/**
 * Applies `change` to the current Scale and writes the new replica count. A resourceVersion the
 * client put in the Scale is a precondition (409 when stale); otherwise races are retried.
 */
export async function updateScale(
  registry: Registry,
  r: ResourceInfo,
  namespace: string | undefined,
  name: string,
  change: (scale: KubeObject) => KubeObject,
  dryRun: boolean,
): Promise<KubeObject> {
  for (let attempt = 0; ; attempt++) {
    const current = await registry.get(r, namespace, name);
    const scale = change(toScale(current));
    const replicas = scale.spec?.replicas;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw new ApiError(
        422,
        'Invalid',
        `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
        'NAVARCH_ERR_INVALID',
        { name, group: 'autoscaling', kind: 'Scale' },
        [
          {
            reason: 'FieldValueInvalid',
            message: 'must be greater than or equal to 0',
            field: 'spec.replicas',
          },
        ],
      );
    }
    const pinned = scale.metadata.resourceVersion;
    const userPinned = pinned !== undefined && pinned !== current.metadata.resourceVersion;
    const next = structuredClone(current);
    next.spec = { ...(next.spec ?? {}), replicas };
    next.metadata.resourceVersion = userPinned ? pinned : current.metadata.resourceVersion;
    try {
      return toScale(await registry.update(r, namespace, name, next, undefined, dryRun));
    } catch (err) {
      if (err instanceof ApiError && err.httpCode === 409 && !userPinned && attempt < maxAttempts) continue;
      throw err;
    }
  }
}

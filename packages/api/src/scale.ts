/**
 * The `scale` subresource (autoscaling/v1 Scale) of Deployments and ReplicaSets, as the
 * Kubernetes registry converts it: `GET .../scale` reads replicas and the selector,
 * `PUT/PATCH .../scale` writes only spec.replicas back.
 */
import { cloneJson } from './clone.js';
import { labelSelectorAsSelector } from './labels.js';
import type { Deployment, ReplicaSet, Scale } from './types/apps.js';
import type { ObjectMeta } from './types/meta.js';

/** Objects that have a scale subresource. */
export type Scalable = Deployment | ReplicaSet;

function selectorText(object: Scalable): string {
  try {
    return labelSelectorAsSelector(object.spec?.selector).toString();
  } catch {
    return '';
  }
}

/** The Scale view of a Deployment or ReplicaSet (metadata carries name, namespace, uid, resourceVersion). */
export function scaleOf(object: Scalable): Scale {
  const metadata: ObjectMeta = {};
  for (const field of ['name', 'namespace', 'uid', 'resourceVersion', 'creationTimestamp'] as const) {
    const value = object.metadata[field];
    if (value !== undefined && value !== null) metadata[field] = value;
  }
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata,
    spec: { replicas: object.spec?.replicas ?? 0 },
    status: { replicas: object.status?.replicas ?? 0, selector: selectorText(object) },
  };
}

/** A copy of `object` with spec.replicas taken from `scale`; nothing else changes. */
export function withScale<T extends Scalable>(object: T, scale: Scale): T {
  const copy = cloneJson(object);
  if (copy.spec !== undefined) copy.spec.replicas = scale.spec?.replicas ?? 0;
  return copy;
}

/**
 * The kinds Navarch serves, mapped to their TypeScript types, so typed clients can write
 * `get<'Deployment'>(...)` and get a `Deployment` back.
 */
import type { Deployment, ReplicaSet } from './apps.js';
import type { HorizontalPodAutoscaler } from './autoscaling.js';
import type { Lease } from './coordination.js';
import type {
  ConfigMap,
  Endpoints,
  Event,
  Namespace,
  Node,
  PersistentVolume,
  PersistentVolumeClaim,
  Secret,
  Service,
} from './core.js';
import type { Ingress } from './networking.js';
import type { Pod } from './pod.js';

/** Kind name → object type, for every resource in the registry. */
export interface KindMap {
  Namespace: Namespace;
  Pod: Pod;
  Service: Service;
  Endpoints: Endpoints;
  ConfigMap: ConfigMap;
  Secret: Secret;
  Node: Node;
  Event: Event;
  PersistentVolume: PersistentVolume;
  PersistentVolumeClaim: PersistentVolumeClaim;
  Deployment: Deployment;
  ReplicaSet: ReplicaSet;
  Ingress: Ingress;
  HorizontalPodAutoscaler: HorizontalPodAutoscaler;
  Lease: Lease;
}

/** A served kind name. */
export type Kind = keyof KindMap;

/** Any served object. */
export type AnyObject = KindMap[Kind];

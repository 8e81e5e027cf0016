/** coordination.k8s.io/v1 object types: Lease (leader election, node heartbeats). */
import type { List, ObjectMeta } from './meta.js';

/** Desired state of a Lease. Times are RFC 3339 with microseconds (MicroTime). */
export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
  strategy?: string;
  preferredHolder?: string;
}

/** A lock with a holder and an expiry, for leader election and node heartbeats. */
export interface Lease {
  apiVersion?: 'coordination.k8s.io/v1';
  kind?: 'Lease';
  metadata: ObjectMeta;
  spec?: LeaseSpec;
}

/** `LeaseList`. */
export type LeaseList = List<Lease>;

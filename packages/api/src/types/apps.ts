/** apps/v1 object types: Deployment and ReplicaSet. Shapes follow k8s.io/api/apps/v1. */

import type { IntOrString, LabelSelector, List, ObjectMeta, Time } from './meta.js';
import type { PodTemplateSpec } from './pod.js';

/** Parameters of a rolling update; percentages are of spec.replicas. */
export interface RollingUpdateDeployment {
  /** Defaults to 25%; rounded down. Cannot be 0 when maxSurge is 0. */
  maxUnavailable?: IntOrString;
  /** Defaults to 25%; rounded up. */
  maxSurge?: IntOrString;
}

/** How a Deployment replaces old pods with new ones. */
export interface DeploymentStrategy {
  /** Defaults to RollingUpdate. */
  type?: 'RollingUpdate' | 'Recreate';
  /** Only allowed (and defaulted) when type is RollingUpdate. */
  rollingUpdate?: RollingUpdateDeployment;
}

/** Desired state of a Deployment. */
export interface DeploymentSpec {
  /** Defaults to 1. */
  replicas?: number;
  /** Required, immutable in apps/v1, must match template.metadata.labels. */
  selector: LabelSelector;
  template: PodTemplateSpec;
  strategy?: DeploymentStrategy;
  /** Defaults to 0. */
  minReadySeconds?: number;
  /** Defaults to 10. */
  revisionHistoryLimit?: number;
  paused?: boolean;
  /** Defaults to 600; must exceed minReadySeconds. */
  progressDeadlineSeconds?: number;
}

/** A Deployment condition (Available, Progressing, ReplicaFailure). */
export interface DeploymentCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastUpdateTime?: Time;
  lastTransitionTime?: Time;
  reason?: string;
  message?: string;
}

/** Observed state of a Deployment, written by the deployment controller. */
export interface DeploymentStatus {
  /** The generation the controller last acted on. */
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  conditions?: DeploymentCondition[];
  /** Used to name new ReplicaSets without collisions. */
  collisionCount?: number;
}

/** Declarative updates of a replicated set of pods through ReplicaSets. */
export interface Deployment {
  apiVersion?: 'apps/v1';
  kind?: 'Deployment';
  metadata: ObjectMeta;
  spec?: DeploymentSpec;
  status?: DeploymentStatus;
}

/** Desired state of a ReplicaSet. */
export interface ReplicaSetSpec {
  /** Defaults to 1. */
  replicas?: number;
  /** Defaults to 0. */
  minReadySeconds?: number;
  /** Required, immutable, must match template.metadata.labels. */
  selector: LabelSelector;
  template?: PodTemplateSpec;
}

/** A ReplicaSet condition (ReplicaFailure). */
export interface ReplicaSetCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastTransitionTime?: Time;
  reason?: string;
  message?: string;
}

/** Observed state of a ReplicaSet, written by the replicaset controller. */
export interface ReplicaSetStatus {
  replicas: number;
  fullyLabeledReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  observedGeneration?: number;
  conditions?: ReplicaSetCondition[];
}

/** Keeps a number of identical pods running. */
export interface ReplicaSet {
  apiVersion?: 'apps/v1';
  kind?: 'ReplicaSet';
  metadata: ObjectMeta;
  spec?: ReplicaSetSpec;
  status?: ReplicaSetStatus;
}

/** The body of the `scale` subresource (autoscaling/v1 Scale). */
export interface Scale {
  apiVersion?: 'autoscaling/v1';
  kind?: 'Scale';
  metadata: ObjectMeta;
  spec?: { replicas?: number };
  /** `selector` is the label selector in string form. */
  status?: { replicas: number; selector?: string };
}

/** `DeploymentList`. */
export type DeploymentList = List<Deployment>;
/** `ReplicaSetList`. */
export type ReplicaSetList = List<ReplicaSet>;

/**
 * core/v1 object types (the legacy group, apiVersion `v1`): Namespace, Service,
 * Endpoints, ConfigMap, Secret, Node, Event, PersistentVolume, PersistentVolumeClaim
 * (Pod types are in pod.ts). Shapes and field names follow k8s.io/api/core/v1; fields Navarch does not act on are
 * still typed when manifests commonly carry them, so they round-trip unchanged.
 */
import type { IntOrString, LabelSelector, List, ObjectMeta, QuantityValue, Time } from './meta.js';
import type { NodeSelectorTerm, Pod, ResourceRequirements } from './pod.js';

/** Resource amounts by name (`cpu`, `memory`, `storage`, `ephemeral-storage`, `pods`, ...). */
export type ResourceList = Record<string, QuantityValue>;

/** A reference to another object by kind/namespace/name, as events and bindings use it. */
export interface ObjectReference {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  resourceVersion?: string;
  /** Points into the object, e.g. `spec.containers{app}`. */
  fieldPath?: string;
}

/** Name of an object in the same namespace. */
export interface LocalObjectReference {
  name?: string;
}

// ---------------------------------------------------------------- Namespace

/** Namespace spec: finalizers that must clear before the namespace is removed. */
export interface NamespaceSpec {
  finalizers?: string[];
}

/** Namespace status: Active, or Terminating while its content is deleted. */
export interface NamespaceStatus {
  phase?: 'Active' | 'Terminating';
  conditions?: Array<{
    type: string;
    status: string;
    lastTransitionTime?: Time;
    reason?: string;
    message?: string;
  }>;
}

/** A scope for names; deleting it deletes everything in it. Cluster-scoped. */
export interface Namespace {
  apiVersion?: 'v1';
  kind?: 'Namespace';
  metadata: ObjectMeta;
  spec?: NamespaceSpec;
  status?: NamespaceStatus;
}

// ---------------------------------------------------------------- Service

/** One port a Service exposes. */
export interface ServicePort {
  /** Required (DNS-1123 label) when the service has more than one port. */
  name?: string;
  /** Defaults to TCP. */
  protocol?: 'TCP' | 'UDP' | 'SCTP';
  appProtocol?: string;
  port: number;
  /** Defaults to `port`; a string names a container port. */
  targetPort?: IntOrString;
  /** Allocated by the API server for NodePort and LoadBalancer services. */
  nodePort?: number;
}

/** Desired state of a Service. */
export interface ServiceSpec {
  ports?: ServicePort[];
  /** Pods with these labels receive the traffic; without a selector Endpoints are managed by hand. */
  selector?: Record<string, string>;
  /** Allocated from the service CIDR; `None` makes a headless service. Immutable once set. */
  clusterIP?: string;
  clusterIPs?: string[];
  /** Defaults to ClusterIP. */
  type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
  externalIPs?: string[];
  /** Defaults to None. */
  sessionAffinity?: 'None' | 'ClientIP';
  sessionAffinityConfig?: { clientIP?: { timeoutSeconds?: number } };
  loadBalancerIP?: string;
  loadBalancerSourceRanges?: string[];
  externalName?: string;
  /** Defaults to Cluster for NodePort/LoadBalancer. */
  externalTrafficPolicy?: 'Cluster' | 'Local';
  /** Defaults to Cluster. */
  internalTrafficPolicy?: 'Cluster' | 'Local';
  healthCheckNodePort?: number;
  publishNotReadyAddresses?: boolean;
  /** Defaults to [IPv4]. */
  ipFamilies?: Array<'IPv4' | 'IPv6'>;
  /** Defaults to SingleStack. */
  ipFamilyPolicy?: 'SingleStack' | 'PreferDualStack' | 'RequireDualStack';
  allocateLoadBalancerNodePorts?: boolean;
}

/** Observed state of a Service (load balancer ingress points). */
export interface ServiceStatus {
  loadBalancer?: { ingress?: Array<{ ip?: string; hostname?: string }> };
  conditions?: Array<{
    type: string;
    status: string;
    reason?: string;
    message?: string;
    lastTransitionTime?: Time;
  }>;
}

/** A stable virtual IP and DNS name in front of a set of pods. */
export interface Service {
  apiVersion?: 'v1';
  kind?: 'Service';
  metadata: ObjectMeta;
  spec?: ServiceSpec;
  status?: ServiceStatus;
}

// ---------------------------------------------------------------- Endpoints

/** One endpoint address (a pod IP). */
export interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef?: ObjectReference;
}

/** One port of an endpoint subset. */
export interface EndpointPort {
  name?: string;
  port: number;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
  appProtocol?: string;
}

/** A set of addresses that all serve the same ports. */
export interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: EndpointPort[];
}

/** The pod addresses behind a Service of the same name; kept by the endpoints controller. */
export interface Endpoints {
  apiVersion?: 'v1';
  kind?: 'Endpoints';
  metadata: ObjectMeta;
  subsets?: EndpointSubset[];
}

// ---------------------------------------------------------------- ConfigMap / Secret

/** Non-secret configuration as key/value pairs. */
export interface ConfigMap {
  apiVersion?: 'v1';
  kind?: 'ConfigMap';
  metadata: ObjectMeta;
  /** Keys: `[-._a-zA-Z0-9]+`, at most 253 characters. */
  data?: Record<string, string>;
  /** Values are base64. */
  binaryData?: Record<string, string>;
  /** Once true, data cannot change and the flag cannot be unset. */
  immutable?: boolean;
}

/** Secret data; values in `data` are base64; `stringData` is write-only and folded into data. */
export interface Secret {
  apiVersion?: 'v1';
  kind?: 'Secret';
  metadata: ObjectMeta;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  /** Defaults to Opaque. Immutable. */
  type?: string;
  immutable?: boolean;
}

// ---------------------------------------------------------------- Node

/** A taint repels pods that do not tolerate it. */
export interface Taint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  timeAdded?: Time;
}

/** Desired state of a node. */
export interface NodeSpec {
  /** The node's pod CIDR (one /24 of the cluster CIDR). */
  podCIDR?: string;
  podCIDRs?: string[];
  providerID?: string;
  /** Cordoned nodes receive no new pods. */
  unschedulable?: boolean;
  taints?: Taint[];
}

/** A node condition (Ready, MemoryPressure, DiskPressure, PIDPressure, NetworkUnavailable). */
export interface NodeCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastHeartbeatTime?: Time;
  lastTransitionTime?: Time;
  reason?: string;
  message?: string;
}

/** One address of a node. */
export interface NodeAddress {
  type: 'Hostname' | 'InternalIP' | 'ExternalIP' | 'InternalDNS' | 'ExternalDNS';
  address: string;
}

/** Facts about the node's software. */
export interface NodeSystemInfo {
  machineID: string;
  systemUUID: string;
  bootID: string;
  kernelVersion: string;
  osImage: string;
  containerRuntimeVersion: string;
  kubeletVersion: string;
  kubeProxyVersion: string;
  operatingSystem: string;
  architecture: string;
}

/** Observed state of a node, reported by its agent. */
export interface NodeStatus {
  capacity?: ResourceList;
  allocatable?: ResourceList;
  phase?: string;
  conditions?: NodeCondition[];
  addresses?: NodeAddress[];
  daemonEndpoints?: { kubeletEndpoint?: { Port: number } };
  nodeInfo?: NodeSystemInfo;
  images?: Array<{ names?: string[]; sizeBytes?: number }>;
}

/** A worker machine running a Navarch agent. Cluster-scoped. */
export interface Node {
  apiVersion?: 'v1';
  kind?: 'Node';
  metadata: ObjectMeta;
  spec?: NodeSpec;
  status?: NodeStatus;
}

// ---------------------------------------------------------------- Event

/** A record of something that happened to an object (core/v1 Event). */
export interface Event {
  apiVersion?: 'v1';
  kind?: 'Event';
  metadata: ObjectMeta;
  involvedObject: ObjectReference;
  /** Short, CamelCase reason, e.g. `Scheduled`, `Pulled`, `FailedScheduling`. */
  reason?: string;
  message?: string;
  source?: { component?: string; host?: string };
  firstTimestamp?: Time | null;
  lastTimestamp?: Time | null;
  count?: number;
  type?: 'Normal' | 'Warning';
  eventTime?: string | null;
  series?: { count?: number; lastObservedTime?: string };
  action?: string;
  related?: ObjectReference;
  reportingComponent?: string;
  reportingInstance?: string;
}

// ---------------------------------------------------------------- PersistentVolume(Claim)

/** Access modes a volume supports or a claim requests. */
export type PersistentVolumeAccessMode =
  | 'ReadWriteOnce'
  | 'ReadOnlyMany'
  | 'ReadWriteMany'
  | 'ReadWriteOncePod';

/** Desired state of a PersistentVolume. */
export interface PersistentVolumeSpec {
  capacity?: ResourceList;
  accessModes?: PersistentVolumeAccessMode[];
  claimRef?: ObjectReference;
  /** Defaults to Retain. */
  persistentVolumeReclaimPolicy?: 'Retain' | 'Delete' | 'Recycle';
  storageClassName?: string;
  mountOptions?: string[];
  /** Defaults to Filesystem. */
  volumeMode?: 'Filesystem' | 'Block';
  hostPath?: { path: string; type?: string };
  local?: { path: string; fsType?: string };
  nfs?: { server: string; path: string; readOnly?: boolean };
  nodeAffinity?: { required?: { nodeSelectorTerms: NodeSelectorTerm[] } };
}

/** Observed state of a PersistentVolume. */
export interface PersistentVolumeStatus {
  phase?: 'Pending' | 'Available' | 'Bound' | 'Released' | 'Failed';
  message?: string;
  reason?: string;
  lastPhaseTransitionTime?: Time;
}

/** A piece of storage in the cluster. Cluster-scoped. */
export interface PersistentVolume {
  apiVersion?: 'v1';
  kind?: 'PersistentVolume';
  metadata: ObjectMeta;
  spec?: PersistentVolumeSpec;
  status?: PersistentVolumeStatus;
}

/** Desired state of a PersistentVolumeClaim. */
export interface PersistentVolumeClaimSpec {
  accessModes?: PersistentVolumeAccessMode[];
  selector?: LabelSelector;
  /** `requests.storage` is required; only requests may change after creation. */
  resources?: ResourceRequirements;
  volumeName?: string;
  storageClassName?: string;
  /** Defaults to Filesystem. */
  volumeMode?: 'Filesystem' | 'Block';
  dataSource?: { apiGroup?: string; kind: string; name: string };
}

/** Observed state of a PersistentVolumeClaim. */
export interface PersistentVolumeClaimStatus {
  phase?: 'Pending' | 'Bound' | 'Lost';
  accessModes?: PersistentVolumeAccessMode[];
  capacity?: ResourceList;
  conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
}

/** A user's request for storage, bound to a PersistentVolume. */
export interface PersistentVolumeClaim {
  apiVersion?: 'v1';
  kind?: 'PersistentVolumeClaim';
  metadata: ObjectMeta;
  spec?: PersistentVolumeClaimSpec;
  status?: PersistentVolumeClaimStatus;
}

/** `NamespaceList`. */
export type NamespaceList = List<Namespace>;
/** `PodList`. */
export type PodList = List<Pod>;
/** `ServiceList`. */
export type ServiceList = List<Service>;
/** `EndpointsList`. */
export type EndpointsList = List<Endpoints>;
/** `ConfigMapList`. */
export type ConfigMapList = List<ConfigMap>;
/** `SecretList`. */
export type SecretList = List<Secret>;
/** `NodeList`. */
export type NodeList = List<Node>;
/** `EventList`. */
export type EventList = List<Event>;
/** `PersistentVolumeList`. */
export type PersistentVolumeList = List<PersistentVolume>;
/** `PersistentVolumeClaimList`. */
export type PersistentVolumeClaimList = List<PersistentVolumeClaim>;

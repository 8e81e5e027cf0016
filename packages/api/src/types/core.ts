/**
 * core/v1 object types (the legacy group, apiVersion `v1`): Namespace, Pod, Service,
 * Endpoints, ConfigMap, Secret, Node, Event, PersistentVolume, PersistentVolumeClaim.
 * Shapes and field names follow k8s.io/api/core/v1; fields Navarch does not act on are
 * still typed when manifests commonly carry them, so they round-trip unchanged.
 */
import type { IntOrString, LabelSelector, List, ObjectMeta, QuantityValue, Time } from './meta.js';

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

// ---------------------------------------------------------------- Pod

/** A port a container exposes (informational, plus hostPort mapping). */
export interface ContainerPort {
  /** IANA_SVC_NAME, at most 15 characters; unique within the pod when set. */
  name?: string;
  containerPort: number;
  hostPort?: number;
  hostIP?: string;
  /** Defaults to TCP. */
  protocol?: 'TCP' | 'UDP' | 'SCTP';
}

/** Selects one key of a ConfigMap. */
export interface ConfigMapKeySelector {
  name?: string;
  key: string;
  optional?: boolean;
}

/** Selects one key of a Secret. */
export interface SecretKeySelector {
  name?: string;
  key: string;
  optional?: boolean;
}

/** Selects a field of the pod itself (downward API), e.g. `status.podIP`. */
export interface ObjectFieldSelector {
  apiVersion?: string;
  fieldPath: string;
}

/** Selects a container resource (downward API), e.g. `limits.cpu`. */
export interface ResourceFieldSelector {
  containerName?: string;
  resource: string;
  divisor?: QuantityValue;
}

/** Where an environment variable's value comes from, when not literal. */
export interface EnvVarSource {
  fieldRef?: ObjectFieldSelector;
  resourceFieldRef?: ResourceFieldSelector;
  configMapKeyRef?: ConfigMapKeySelector;
  secretKeyRef?: SecretKeySelector;
}

/** One environment variable; `value` and `valueFrom` are mutually exclusive. */
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: EnvVarSource;
}

/** Imports every key of a ConfigMap or Secret as environment variables. */
export interface EnvFromSource {
  prefix?: string;
  configMapRef?: { name?: string; optional?: boolean };
  secretRef?: { name?: string; optional?: boolean };
}

/** Requests and limits of a container. */
export interface ResourceRequirements {
  limits?: ResourceList;
  requests?: ResourceList;
}

/** Mounts a pod volume into a container's filesystem. */
export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
  subPath?: string;
  mountPropagation?: 'None' | 'HostToContainer' | 'Bidirectional';
}

/** A header sent by an HTTP probe. */
export interface HTTPHeader {
  name: string;
  value: string;
}

/** HTTP GET probe or hook. */
export interface HTTPGetAction {
  path?: string;
  port: IntOrString;
  host?: string;
  /** Defaults to HTTP. */
  scheme?: 'HTTP' | 'HTTPS';
  httpHeaders?: HTTPHeader[];
}

/** TCP connect probe. */
export interface TCPSocketAction {
  port: IntOrString;
  host?: string;
}

/** Command run inside the container; exit 0 is success. */
export interface ExecAction {
  command?: string[];
}

/** gRPC health probe. */
export interface GRPCAction {
  port: number;
  service?: string;
}

/** A health check: exactly one handler plus timing. */
export interface Probe {
  exec?: ExecAction;
  httpGet?: HTTPGetAction;
  tcpSocket?: TCPSocketAction;
  grpc?: GRPCAction;
  initialDelaySeconds?: number;
  /** Defaults to 1. */
  timeoutSeconds?: number;
  /** Defaults to 10. */
  periodSeconds?: number;
  /** Defaults to 1; must be 1 for liveness and startup probes. */
  successThreshold?: number;
  /** Defaults to 3. */
  failureThreshold?: number;
  terminationGracePeriodSeconds?: number;
}

/** A lifecycle hook handler. */
export interface LifecycleHandler {
  exec?: ExecAction;
  httpGet?: HTTPGetAction;
  tcpSocket?: TCPSocketAction;
  sleep?: { seconds: number };
}

/** postStart / preStop hooks. */
export interface Lifecycle {
  postStart?: LifecycleHandler;
  preStop?: LifecycleHandler;
}

/** Linux capabilities to add or drop. */
export interface Capabilities {
  add?: string[];
  drop?: string[];
}

/** Per-container security settings. */
export interface SecurityContext {
  capabilities?: Capabilities;
  privileged?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
}

/** Pod-wide security settings. */
export interface PodSecurityContext {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  fsGroup?: number;
  supplementalGroups?: number[];
  sysctls?: Array<{ name: string; value: string }>;
}

/** One container of a pod. */
export interface Container {
  /** DNS-1123 label, unique among all containers (init + regular) of the pod. */
  name: string;
  /** Required for regular and init containers. */
  image?: string;
  command?: string[];
  args?: string[];
  workingDir?: string;
  ports?: ContainerPort[];
  envFrom?: EnvFromSource[];
  env?: EnvVar[];
  resources?: ResourceRequirements;
  /** Native sidecar init containers set this to Always. */
  restartPolicy?: 'Always';
  volumeMounts?: VolumeMount[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  lifecycle?: Lifecycle;
  /** Defaults to /dev/termination-log. */
  terminationMessagePath?: string;
  /** Defaults to File. */
  terminationMessagePolicy?: 'File' | 'FallbackToLogsOnError';
  /** Defaults from the image tag: Always for `:latest` or no tag, IfNotPresent otherwise. */
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  securityContext?: SecurityContext;
  stdin?: boolean;
  stdinOnce?: boolean;
  tty?: boolean;
}

/** Projects ConfigMap or Secret keys into a volume as files. */
export interface KeyToPath {
  key: string;
  path: string;
  mode?: number;
}

/** A volume backed by a ConfigMap. */
export interface ConfigMapVolumeSource {
  name?: string;
  items?: KeyToPath[];
  /** Defaults to 0644 (420). */
  defaultMode?: number;
  optional?: boolean;
}

/** A volume backed by a Secret. */
export interface SecretVolumeSource {
  secretName?: string;
  items?: KeyToPath[];
  /** Defaults to 0644 (420). */
  defaultMode?: number;
  optional?: boolean;
}

/** A pod volume: exactly one source. */
export interface Volume {
  /** DNS-1123 label, unique within the pod. */
  name: string;
  emptyDir?: { medium?: '' | 'Memory'; sizeLimit?: QuantityValue };
  hostPath?: { path: string; type?: string };
  configMap?: ConfigMapVolumeSource;
  secret?: SecretVolumeSource;
  persistentVolumeClaim?: { claimName: string; readOnly?: boolean };
  downwardAPI?: { items?: Array<{ path: string; fieldRef?: ObjectFieldSelector }>; defaultMode?: number };
  projected?: { sources?: unknown[]; defaultMode?: number };
}

/** Lets a pod be placed on a node whose taint it tolerates. */
export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: '' | 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  tolerationSeconds?: number;
}

/** A node selector term: requirements are ANDed. */
export interface NodeSelectorTerm {
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
  matchFields?: Array<{ key: string; operator: string; values?: string[] }>;
}

/** A (anti-)affinity term against pods matching labelSelector within topologyKey. */
export interface PodAffinityTerm {
  labelSelector?: LabelSelector;
  namespaces?: string[];
  topologyKey: string;
  namespaceSelector?: LabelSelector;
}

/** Scheduling constraints relative to nodes and other pods. */
export interface Affinity {
  nodeAffinity?: {
    requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms: NodeSelectorTerm[] };
    preferredDuringSchedulingIgnoredDuringExecution?: Array<{ weight: number; preference: NodeSelectorTerm }>;
  };
  podAffinity?: {
    requiredDuringSchedulingIgnoredDuringExecution?: PodAffinityTerm[];
    preferredDuringSchedulingIgnoredDuringExecution?: Array<{
      weight: number;
      podAffinityTerm: PodAffinityTerm;
    }>;
  };
  podAntiAffinity?: {
    requiredDuringSchedulingIgnoredDuringExecution?: PodAffinityTerm[];
    preferredDuringSchedulingIgnoredDuringExecution?: Array<{
      weight: number;
      podAffinityTerm: PodAffinityTerm;
    }>;
  };
}

/** Spreads matching pods evenly across topology domains. */
export interface TopologySpreadConstraint {
  maxSkew: number;
  topologyKey: string;
  whenUnsatisfiable: 'DoNotSchedule' | 'ScheduleAnyway';
  labelSelector?: LabelSelector;
}

/** Desired state of a pod. */
export interface PodSpec {
  volumes?: Volume[];
  initContainers?: Container[];
  /** At least one. */
  containers: Container[];
  /** Defaults to Always. */
  restartPolicy?: 'Always' | 'OnFailure' | 'Never';
  /** Defaults to 30. */
  terminationGracePeriodSeconds?: number;
  activeDeadlineSeconds?: number;
  /** Defaults to ClusterFirst. */
  dnsPolicy?: 'ClusterFirst' | 'ClusterFirstWithHostNet' | 'Default' | 'None';
  nodeSelector?: Record<string, string>;
  serviceAccountName?: string;
  /** Deprecated alias of serviceAccountName. */
  serviceAccount?: string;
  automountServiceAccountToken?: boolean;
  /** Set by the scheduler through the binding subresource. */
  nodeName?: string;
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  securityContext?: PodSecurityContext;
  imagePullSecrets?: LocalObjectReference[];
  hostname?: string;
  subdomain?: string;
  affinity?: Affinity;
  /** Defaults to default-scheduler. */
  schedulerName?: string;
  tolerations?: Toleration[];
  hostAliases?: Array<{ ip: string; hostnames?: string[] }>;
  priorityClassName?: string;
  priority?: number;
  dnsConfig?: {
    nameservers?: string[];
    searches?: string[];
    options?: Array<{ name: string; value?: string }>;
  };
  readinessGates?: Array<{ conditionType: string }>;
  enableServiceLinks?: boolean;
  preemptionPolicy?: 'PreemptLowerPriority' | 'Never';
  topologySpreadConstraints?: TopologySpreadConstraint[];
  shareProcessNamespace?: boolean;
}

/** A pod condition (PodScheduled, Initialized, ContainersReady, Ready). */
export interface PodCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastProbeTime?: Time | null;
  lastTransitionTime?: Time | null;
  reason?: string;
  message?: string;
}

/** Container state: exactly one of waiting/running/terminated. */
export interface ContainerState {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt?: Time };
  terminated?: {
    exitCode: number;
    signal?: number;
    reason?: string;
    message?: string;
    startedAt?: Time;
    finishedAt?: Time;
    containerID?: string;
  };
}

/** Observed state of one container. */
export interface ContainerStatus {
  name: string;
  state?: ContainerState;
  lastState?: ContainerState;
  ready: boolean;
  restartCount: number;
  image: string;
  imageID: string;
  containerID?: string;
  started?: boolean;
}

/** Observed state of a pod, written by the node agent and the scheduler. */
export interface PodStatus {
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
  conditions?: PodCondition[];
  message?: string;
  /** e.g. Evicted, NodeLost. */
  reason?: string;
  nominatedNodeName?: string;
  hostIP?: string;
  hostIPs?: Array<{ ip: string }>;
  podIP?: string;
  podIPs?: Array<{ ip: string }>;
  startTime?: Time;
  initContainerStatuses?: ContainerStatus[];
  containerStatuses?: ContainerStatus[];
  qosClass?: 'Guaranteed' | 'Burstable' | 'BestEffort';
}

/** The unit of scheduling: one or more containers sharing network and volumes. */
export interface Pod {
  apiVersion?: 'v1';
  kind?: 'Pod';
  metadata: ObjectMeta;
  spec?: PodSpec;
  status?: PodStatus;
}

/** The pod part of a Deployment/ReplicaSet/Job: metadata and spec of the pods to create. */
export interface PodTemplateSpec {
  metadata?: ObjectMeta;
  spec?: PodSpec;
}

/** Body of `POST pods/<name>/binding`: assigns a pod to a node. */
export interface Binding {
  apiVersion?: 'v1';
  kind?: 'Binding';
  metadata: ObjectMeta;
  target: ObjectReference;
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

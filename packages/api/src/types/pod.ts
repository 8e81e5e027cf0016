/**
 * core/v1 Pod types: the pod, its spec and status, containers, probes, volumes and
 * scheduling constraints, and pod templates. Shapes follow k8s.io/api/core/v1.
 */
import type { LocalObjectReference, ObjectReference, ResourceList } from './core.js';
import type { IntOrString, LabelSelector, ObjectMeta, QuantityValue, Time } from './meta.js';

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

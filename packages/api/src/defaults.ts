/**
 * Defaulting as the Kubernetes API server applies it (pkg/apis/<group>/v1/defaults.go):
 * fills the fields a user may omit so that stored objects are complete and controllers need
 * no fallbacks. Every function is pure (returns a new object; the input is not touched) and
 * idempotent: defaulting a defaulted object changes nothing.
 *
 * Not done here, because Kubernetes does it elsewhere: metadata.namespace from the request
 * path, uid/creationTimestamp/resourceVersion, Service clusterIP/nodePort allocation, and
 * Pod status (set by the API server's create strategy; see `podQOSClass`).
 */

import { Buffer } from 'node:buffer';
import { cloneJson } from './clone.js';
import type { Deployment, ReplicaSet } from './types/apps.js';
import type { HorizontalPodAutoscaler, HPAScalingRules } from './types/autoscaling.js';
import type {
  Endpoints,
  Namespace,
  Node,
  PersistentVolume,
  PersistentVolumeClaim,
  Secret,
  Service,
} from './types/core.js';
import type { KubeObject } from './types/meta.js';
import type { Container, Pod, PodSpec, PodTemplateSpec, Probe } from './types/pod.js';

/** Defaults for Probe: timeout 1s, period 10s, success 1, failure 3; HTTP path `/` and scheme HTTP. */
function defaultProbe(probe: Probe | undefined): void {
  if (probe === undefined) return;
  probe.timeoutSeconds ??= 1;
  probe.periodSeconds ??= 10;
  probe.successThreshold ??= 1;
  probe.failureThreshold ??= 3;
  if (probe.httpGet !== undefined) {
    if (probe.httpGet.path === undefined || probe.httpGet.path === '') probe.httpGet.path = '/';
    probe.httpGet.scheme ??= 'HTTP';
  }
}

/**
 * imagePullPolicy from the image reference: Always for `:latest` or no tag (and no digest),
 * IfNotPresent otherwise — the rule of SetDefaults_Container.
 */
export function defaultImagePullPolicy(image: string | undefined): 'Always' | 'IfNotPresent' {
  if (image === undefined || image === '') return 'IfNotPresent';
  if (image.includes('@')) return 'IfNotPresent';
  const lastSlash = image.lastIndexOf('/');
  const lastColon = image.lastIndexOf(':');
  // A colon before the last slash belongs to a registry host:port, not a tag.
  const tag = lastColon > lastSlash ? image.slice(lastColon + 1) : '';
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultContainer(container: Container, hostNetwork: boolean): void {
  container.terminationMessagePath ??= '/dev/termination-log';
  container.terminationMessagePolicy ??= 'File';
  container.imagePullPolicy ??= defaultImagePullPolicy(container.image);
  for (const port of container.ports ?? []) {
    port.protocol ??= 'TCP';
    // With the host network the container port is the host port (SetDefaults_PodSpec).
    if (hostNetwork && port.hostPort === undefined) port.hostPort = port.containerPort;
  }
  for (const env of container.env ?? []) {
    if (env.valueFrom?.fieldRef !== undefined) env.valueFrom.fieldRef.apiVersion ??= 'v1';
  }
  defaultProbe(container.livenessProbe);
  defaultProbe(container.readinessProbe);
  defaultProbe(container.startupProbe);
  for (const handler of [container.lifecycle?.postStart, container.lifecycle?.preStop]) {
    if (handler?.httpGet !== undefined) {
      if (handler.httpGet.path === undefined || handler.httpGet.path === '') handler.httpGet.path = '/';
      handler.httpGet.scheme ??= 'HTTP';
    }
  }
}

/** Fills a pod spec in place (used for Pods and pod templates). */
function defaultPodSpecInPlace(spec: PodSpec): void {
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.securityContext ??= {};
  spec.schedulerName ??= 'default-scheduler';
  spec.enableServiceLinks ??= true;
  // serviceAccount is the deprecated alias; keep both in step as the API server does.
  if (spec.serviceAccountName === undefined && spec.serviceAccount !== undefined) {
    spec.serviceAccountName = spec.serviceAccount;
  }
  const hostNetwork = spec.hostNetwork === true;
  for (const container of spec.initContainers ?? []) defaultContainer(container, hostNetwork);
  for (const container of spec.containers ?? []) defaultContainer(container, hostNetwork);
  for (const volume of spec.volumes ?? []) {
    const hasSource = Object.keys(volume).some((key) => key !== 'name');
    if (!hasSource) volume.emptyDir = {};
    if (volume.configMap !== undefined) volume.configMap.defaultMode ??= 0o644;
    if (volume.secret !== undefined) volume.secret.defaultMode ??= 0o644;
    if (volume.downwardAPI !== undefined) volume.downwardAPI.defaultMode ??= 0o644;
    if (volume.projected !== undefined) volume.projected.defaultMode ??= 0o644;
  }
  for (const toleration of spec.tolerations ?? []) {
    if (toleration.operator === undefined && toleration.key !== undefined) toleration.operator = 'Equal';
  }
}

function defaultTemplate(template: PodTemplateSpec | undefined): void {
  if (template?.spec !== undefined) defaultPodSpecInPlace(template.spec);
}

/** A defaulted copy of a pod spec. */
export function defaultPodSpec(spec: PodSpec): PodSpec {
  const copy = cloneJson(spec);
  defaultPodSpecInPlace(copy);
  return copy;
}

/** Pod: pod spec defaults, and requests copied from limits where a request is missing (SetDefaults_Pod). */
export function defaultPod(pod: Pod): Pod {
  const copy = cloneJson(pod);
  if (copy.spec !== undefined) {
    defaultPodSpecInPlace(copy.spec);
    for (const container of [...(copy.spec.initContainers ?? []), ...(copy.spec.containers ?? [])]) {
      const limits = container.resources?.limits;
      if (limits === undefined || container.resources === undefined) continue;
      container.resources.requests ??= {};
      const requests = container.resources.requests;
      for (const [name, value] of Object.entries(limits)) {
        if (!Object.hasOwn(requests, name)) requests[name] = value;
      }
    }
  }
  return copy;
}

/** Deployment: replicas 1, RollingUpdate 25%/25%, revisionHistoryLimit 10, progressDeadlineSeconds 600. */
export function defaultDeployment(deployment: Deployment): Deployment {
  const copy = cloneJson(deployment);
  const spec = copy.spec;
  if (spec === undefined) return copy;
  spec.replicas ??= 1;
  spec.strategy ??= {};
  spec.strategy.type ??= 'RollingUpdate';
  if (spec.strategy.type === 'RollingUpdate') {
    spec.strategy.rollingUpdate ??= {};
    spec.strategy.rollingUpdate.maxUnavailable ??= '25%';
    spec.strategy.rollingUpdate.maxSurge ??= '25%';
  }
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  defaultTemplate(spec.template);
  return copy;
}

/** ReplicaSet: replicas 1 and template defaults. */
export function defaultReplicaSet(replicaSet: ReplicaSet): ReplicaSet {
  const copy = cloneJson(replicaSet);
  if (copy.spec === undefined) return copy;
  copy.spec.replicas ??= 1;
  defaultTemplate(copy.spec.template);
  return copy;
}

/**
 * Service: type ClusterIP, sessionAffinity None (ClientIP gets a 10800 s timeout), port
 * protocol TCP, targetPort = port, traffic policies Cluster, single-stack IPv4.
 */
export function defaultService(service: Service): Service {
  const copy = cloneJson(service);
  copy.spec ??= {};
  const spec = copy.spec;
  spec.type ??= 'ClusterIP';
  spec.sessionAffinity ??= 'None';
  if (spec.sessionAffinity === 'ClientIP') {
    spec.sessionAffinityConfig ??= {};
    spec.sessionAffinityConfig.clientIP ??= {};
    spec.sessionAffinityConfig.clientIP.timeoutSeconds ??= 10800;
  }
  for (const port of spec.ports ?? []) {
    port.protocol ??= 'TCP';
    if (port.targetPort === undefined || port.targetPort === 0 || port.targetPort === '')
      port.targetPort = port.port;
  }
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') spec.externalTrafficPolicy ??= 'Cluster';
  if (spec.type === 'LoadBalancer') spec.allocateLoadBalancerNodePorts ??= true;
  if (spec.type !== 'ExternalName') {
    spec.internalTrafficPolicy ??= 'Cluster';
    spec.ipFamilyPolicy ??= 'SingleStack';
    spec.ipFamilies ??= ['IPv4'];
  }
  return copy;
}

/** Endpoints: port protocol TCP. */
export function defaultEndpoints(endpoints: Endpoints): Endpoints {
  const copy = cloneJson(endpoints);
  for (const subset of copy.subsets ?? []) for (const port of subset.ports ?? []) port.protocol ??= 'TCP';
  return copy;
}

/** Secret: type Opaque; stringData folded into data as base64 (stringData wins) and removed. */
export function defaultSecret(secret: Secret): Secret {
  const copy = cloneJson(secret);
  copy.type ??= 'Opaque';
  if (copy.stringData !== undefined) {
    copy.data ??= {};
    const data = copy.data;
    for (const [key, value] of Object.entries(copy.stringData))
      data[key] = Buffer.from(value, 'utf8').toString('base64');
    delete copy.stringData;
  }
  return copy;
}

/**
 * Namespace: spec.finalizers ['kubernetes'], status.phase Active, and the immutable label
 * `kubernetes.io/metadata.name` = name (set since Kubernetes 1.21).
 */
export function defaultNamespace(namespace: Namespace): Namespace {
  const copy = cloneJson(namespace);
  copy.spec ??= {};
  copy.spec.finalizers ??= ['kubernetes'];
  copy.status ??= {};
  copy.status.phase ??= 'Active';
  if (copy.metadata.name !== undefined && copy.metadata.name !== '') {
    copy.metadata.labels = { ...copy.metadata.labels, 'kubernetes.io/metadata.name': copy.metadata.name };
  }
  return copy;
}

/** Node: status.allocatable defaults to status.capacity. */
export function defaultNode(node: Node): Node {
  const copy = cloneJson(node);
  if (copy.status?.capacity !== undefined && copy.status.allocatable === undefined) {
    copy.status.allocatable = { ...copy.status.capacity };
  }
  return copy;
}

/** PersistentVolume: reclaim policy Retain, volumeMode Filesystem, phase Pending. */
export function defaultPersistentVolume(volume: PersistentVolume): PersistentVolume {
  const copy = cloneJson(volume);
  copy.spec ??= {};
  copy.spec.persistentVolumeReclaimPolicy ??= 'Retain';
  copy.spec.volumeMode ??= 'Filesystem';
  copy.status ??= {};
  copy.status.phase ??= 'Pending';
  return copy;
}

/** PersistentVolumeClaim: volumeMode Filesystem, phase Pending. */
export function defaultPersistentVolumeClaim(claim: PersistentVolumeClaim): PersistentVolumeClaim {
  const copy = cloneJson(claim);
  copy.spec ??= {};
  copy.spec.volumeMode ??= 'Filesystem';
  copy.status ??= {};
  copy.status.phase ??= 'Pending';
  return copy;
}

function scaleUpRules(rules: HPAScalingRules | undefined): HPAScalingRules {
  const result: HPAScalingRules = { ...rules };
  result.stabilizationWindowSeconds ??= 0;
  result.selectPolicy ??= 'Max';
  result.policies ??= [
    { type: 'Pods', value: 4, periodSeconds: 15 },
    { type: 'Percent', value: 100, periodSeconds: 15 },
  ];
  return result;
}

function scaleDownRules(rules: HPAScalingRules | undefined): HPAScalingRules {
  const result: HPAScalingRules = { ...rules };
  result.stabilizationWindowSeconds ??= 300;
  result.selectPolicy ??= 'Max';
  result.policies ??= [{ type: 'Percent', value: 100, periodSeconds: 15 }];
  return result;
}

/**
 * HorizontalPodAutoscaler (autoscaling/v2): minReplicas 1; no metrics means 80% average CPU
 * utilization; when behavior is given, missing scaleUp/scaleDown rules take the defaults
 * (up: no stabilization, max of 4 pods or 100% per 15 s; down: 300 s window, 100% per 15 s).
 */
export function defaultHorizontalPodAutoscaler(hpa: HorizontalPodAutoscaler): HorizontalPodAutoscaler {
  const copy = cloneJson(hpa);
  const spec = copy.spec;
  if (spec === undefined) return copy;
  spec.minReplicas ??= 1;
  if (spec.metrics === undefined || spec.metrics.length === 0) {
    spec.metrics = [
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
      },
    ];
  }
  if (spec.behavior !== undefined) {
    spec.behavior.scaleUp = scaleUpRules(spec.behavior.scaleUp);
    spec.behavior.scaleDown = scaleDownRules(spec.behavior.scaleDown);
  }
  return copy;
}

type Defaulter = (object: never) => KubeObject;

const DEFAULTERS: Record<string, Defaulter> = {
  Pod: defaultPod as Defaulter,
  Deployment: defaultDeployment as Defaulter,
  ReplicaSet: defaultReplicaSet as Defaulter,
  Service: defaultService as Defaulter,
  Endpoints: defaultEndpoints as Defaulter,
  Secret: defaultSecret as Defaulter,
  Namespace: defaultNamespace as Defaulter,
  Node: defaultNode as Defaulter,
  PersistentVolume: defaultPersistentVolume as Defaulter,
  PersistentVolumeClaim: defaultPersistentVolumeClaim as Defaulter,
  HorizontalPodAutoscaler: defaultHorizontalPodAutoscaler as Defaulter,
};

/**
 * Defaults any object by its `kind`; kinds without defaults (ConfigMap, Event, Ingress,
 * Lease, unknown kinds) come back as an unchanged copy. Never mutates its argument and never
 * throws on JSON input: when a field has the wrong JSON type (a string where a list belongs)
 * the per-kind defaulter may fail part-way, and then the undefaulted copy is returned so that
 * validation reports the type error with its field path. The per-kind `defaultX` functions
 * assume structurally well-typed input; this is the entry point for untrusted bodies.
 */
export function applyDefaults<T extends KubeObject>(object: T): T {
  const kind = typeof object === 'object' && object !== null ? object.kind : undefined;
  const defaulter = typeof kind === 'string' ? DEFAULTERS[kind] : undefined;
  if (defaulter === undefined) return cloneJson(object);
  try {
    return defaulter(object as never) as T;
  } catch (error) {
    if (error instanceof TypeError) return cloneJson(object);
    throw error;
  }
}

/**
 * The QoS class the API server records in pod status: Guaranteed when every container has
 * equal cpu and memory requests and limits, BestEffort when none has any, else Burstable.
 * `compare` decides quantity equality (pass `compareQuantities`) so this file needs no parser.
 */
export function podQOSClass(
  spec: PodSpec,
  compare: (a: string | number, b: string | number) => number,
): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const containers = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
  let any = false;
  let guaranteed = true;
  for (const container of containers) {
    const requests = container.resources?.requests ?? {};
    const limits = container.resources?.limits ?? {};
    for (const name of ['cpu', 'memory']) {
      const request = requests[name] ?? limits[name];
      const limit = limits[name];
      if (request !== undefined || limit !== undefined) any = true;
      if (limit === undefined || request === undefined || compare(request, limit) !== 0) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

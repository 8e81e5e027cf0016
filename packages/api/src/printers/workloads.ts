/** Printers of workload kinds: Pod, Deployment, ReplicaSet, HorizontalPodAutoscaler. */
import { humanDuration } from '../age.js';
import { formatLabelSelector } from '../labels.js';
import type { Deployment, ReplicaSet } from '../types/apps.js';
import type { HorizontalPodAutoscaler, MetricSpec, MetricStatus } from '../types/autoscaling.js';
import type { Pod } from '../types/pod.js';
import {
  AGE,
  age,
  CONTAINERS,
  column,
  containerSummary,
  IMAGES,
  NAME,
  orNone,
  type Printer,
  SELECTOR,
} from './common.js';

/** The STATUS column of a pod, following kubectl's printPod reasoning. */
export function podStatusReason(pod: Pod): string {
  const status = pod.status ?? {};
  let reason: string = status.reason ?? status.phase ?? 'Pending';
  let initializing = false;
  const initStatuses = status.initContainerStatuses ?? [];
  const initCount = pod.spec?.initContainers?.length ?? 0;
  for (let position = 0; position < initStatuses.length; position += 1) {
    const container = initStatuses[position];
    if (container === undefined) continue;
    const terminated = container.state?.terminated;
    const waiting = container.state?.waiting;
    if (terminated !== undefined && terminated.exitCode === 0) continue;
    // A running restartable (sidecar) init container does not block.
    const spec = pod.spec?.initContainers?.[position];
    if (spec?.restartPolicy === 'Always' && container.started === true) continue;
    if (terminated !== undefined) {
      if (terminated.reason !== undefined && terminated.reason !== '') reason = `Init:${terminated.reason}`;
      else if (terminated.signal !== undefined && terminated.signal !== 0)
        reason = `Init:Signal:${terminated.signal}`;
      else reason = `Init:ExitCode:${terminated.exitCode}`;
    } else if (
      waiting?.reason !== undefined &&
      waiting.reason !== '' &&
      waiting.reason !== 'PodInitializing'
    ) {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${position}/${initCount}`;
    }
    initializing = true;
    break;
  }
  if (!initializing) {
    let hasRunning = false;
    const statuses = status.containerStatuses ?? [];
    for (let position = statuses.length - 1; position >= 0; position -= 1) {
      const container = statuses[position];
      if (container === undefined) continue;
      const waiting = container.state?.waiting;
      const terminated = container.state?.terminated;
      if (waiting?.reason !== undefined && waiting.reason !== '') {
        reason = waiting.reason;
      } else if (terminated !== undefined) {
        if (terminated.reason !== undefined && terminated.reason !== '') reason = terminated.reason;
        else if (terminated.signal !== undefined && terminated.signal !== 0)
          reason = `Signal:${terminated.signal}`;
        else reason = `ExitCode:${terminated.exitCode}`;
      } else if (container.ready && container.state?.running !== undefined) {
        hasRunning = true;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      const ready = status.conditions?.some(
        (condition) => condition.type === 'Ready' && condition.status === 'True',
      );
      reason = ready === true ? 'Running' : 'NotReady';
    }
  }
  const deleting = pod.metadata?.deletionTimestamp !== undefined && pod.metadata.deletionTimestamp !== null;
  if (deleting && status.reason === 'NodeLost') reason = 'Unknown';
  else if (deleting) reason = 'Terminating';
  return reason;
}

function podRestarts(pod: Pod, nowMs: number): string {
  let restarts = 0;
  let lastRestartMs: number | undefined;
  for (const container of [
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.containerStatuses ?? []),
  ]) {
    restarts += container.restartCount ?? 0;
    const finished = container.lastState?.terminated?.finishedAt;
    if (finished !== undefined) {
      const finishedMs = Date.parse(finished);
      if (!Number.isNaN(finishedMs) && (lastRestartMs === undefined || finishedMs > lastRestartMs))
        lastRestartMs = finishedMs;
    }
  }
  return restarts > 0 && lastRestartMs !== undefined
    ? `${restarts} (${humanDuration(nowMs - lastRestartMs)} ago)`
    : String(restarts);
}

/** Pods. */
export const podPrinter: Printer = {
  columns: [
    NAME,
    column('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
    column('Status', 'string', 'The aggregate status of the containers in this pod.'),
    column(
      'Restarts',
      'string',
      'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
    ),
    AGE,
    column('IP', 'string', 'IP address allocated to the pod. Routable at least within the cluster.', 1),
    column('Node', 'string', 'Name of the Node this pod is assigned to.', 1),
    column('Nominated Node', 'string', 'Name of the node the scheduler nominated for this pod.', 1),
    column('Readiness Gates', 'string', 'Readiness gates of this pod.', 1),
  ],
  cells(pod: Pod, nowMs) {
    const statuses = pod.status?.containerStatuses ?? [];
    const sidecars = (pod.spec?.initContainers ?? []).filter(
      (container) => container.restartPolicy === 'Always',
    );
    const total = (pod.spec?.containers?.length ?? 0) + sidecars.length;
    const sidecarReady = (pod.status?.initContainerStatuses ?? []).filter(
      (status) => status.ready && sidecars.some((sidecar) => sidecar.name === status.name),
    ).length;
    const ready = statuses.filter((status) => status.ready).length + sidecarReady;
    const gates = pod.spec?.readinessGates ?? [];
    const gatesReady = gates.filter((gate) =>
      (pod.status?.conditions ?? []).some(
        (condition) => condition.type === gate.conditionType && condition.status === 'True',
      ),
    ).length;
    return [
      pod.metadata?.name ?? '',
      `${ready}/${total}`,
      podStatusReason(pod),
      podRestarts(pod, nowMs),
      age(pod, nowMs),
      orNone(pod.status?.podIP),
      orNone(pod.spec?.nodeName),
      orNone(pod.status?.nominatedNodeName),
      gates.length === 0 ? '<none>' : `${gatesReady}/${gates.length}`,
    ];
  },
};

/** Deployments. */
export const deploymentPrinter: Printer = {
  columns: [
    NAME,
    column('Ready', 'string', 'Number of the pod with ready state.'),
    column(
      'Up-to-date',
      'string',
      'Total number of non-terminated pods targeted by this deployment that have the desired template spec.',
    ),
    column(
      'Available',
      'string',
      'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.',
    ),
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR,
  ],
  cells(deployment: Deployment, nowMs) {
    const [names, images] = containerSummary(deployment.spec?.template?.spec?.containers);
    return [
      deployment.metadata?.name ?? '',
      `${deployment.status?.readyReplicas ?? 0}/${deployment.spec?.replicas ?? 0}`,
      deployment.status?.updatedReplicas ?? 0,
      deployment.status?.availableReplicas ?? 0,
      age(deployment, nowMs),
      names,
      images,
      formatLabelSelector(deployment.spec?.selector),
    ];
  },
};

/** ReplicaSets. */
export const replicaSetPrinter: Printer = {
  columns: [
    NAME,
    column('Desired', 'integer', 'Number of desired pods.'),
    column('Current', 'integer', 'Number of actual pods.'),
    column('Ready', 'integer', 'Number of ready pods.'),
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR,
  ],
  cells(replicaSet: ReplicaSet, nowMs) {
    const [names, images] = containerSummary(replicaSet.spec?.template?.spec?.containers);
    return [
      replicaSet.metadata?.name ?? '',
      replicaSet.spec?.replicas ?? 0,
      replicaSet.status?.replicas ?? 0,
      replicaSet.status?.readyReplicas ?? 0,
      age(replicaSet, nowMs),
      names,
      images,
      formatLabelSelector(replicaSet.spec?.selector),
    ];
  },
};

function metricTarget(spec: MetricSpec, current: MetricStatus | undefined): string {
  const currentText = (value: unknown): string => (value === undefined ? '<unknown>' : String(value));
  switch (spec.type) {
    case 'Resource':
    case 'ContainerResource': {
      const source = spec.type === 'Resource' ? spec.resource : spec.containerResource;
      const status =
        spec.type === 'Resource' ? current?.resource?.current : current?.containerResource?.current;
      const target = source?.target;
      const name = source?.name ?? '';
      if (target?.type === 'Utilization') {
        const now = status?.averageUtilization === undefined ? '<unknown>' : `${status.averageUtilization}%`;
        return `${name}: ${now}/${target.averageUtilization ?? 0}%`;
      }
      if (target?.type === 'AverageValue')
        return `${name}: ${currentText(status?.averageValue)}/${target.averageValue ?? ''}`;
      return `${name}: ${currentText(status?.value)}/${target?.value ?? ''}`;
    }
    case 'Pods':
      return `${currentText(current?.pods?.current.averageValue)}/${spec.pods?.target.averageValue ?? ''}`;
    case 'Object': {
      const target = spec.object?.target;
      if (target?.type === 'AverageValue')
        return `${currentText(current?.object?.current.averageValue)}/${target.averageValue ?? ''} (avg)`;
      return `${currentText(current?.object?.current.value)}/${target?.value ?? ''}`;
    }
    case 'External': {
      const target = spec.external?.target;
      if (target?.type === 'AverageValue')
        return `${currentText(current?.external?.current.averageValue)}/${target.averageValue ?? ''} (avg)`;
      return `${currentText(current?.external?.current.value)}/${target?.value ?? ''}`;
    }
  }
}

/** The TARGETS column of an HPA: up to three `cpu: 50%/70%` entries, `<none>` without metrics. */
export function formatHPATargets(hpa: HorizontalPodAutoscaler): string {
  const metrics = hpa.spec?.metrics ?? [];
  if (metrics.length === 0) return '<none>';
  const current = hpa.status?.currentMetrics ?? [];
  const texts = metrics.map((metric, position) => metricTarget(metric, current[position]));
  return texts.length > 3
    ? `${texts.slice(0, 3).join(', ')} + ${texts.length - 3} more...`
    : texts.join(', ');
}

/** HorizontalPodAutoscalers. */
export const hpaPrinter: Printer = {
  columns: [
    NAME,
    column('Reference', 'string', 'Reference to the target resource.'),
    column('Targets', 'string', 'Current and target values of the metrics.'),
    column('MinPods', 'string', 'Lower limit for the number of pods.'),
    column('MaxPods', 'integer', 'Upper limit for the number of pods.'),
    column('Replicas', 'integer', 'Current number of replicas of pods managed by this autoscaler.'),
    AGE,
  ],
  cells(hpa: HorizontalPodAutoscaler, nowMs) {
    const target = hpa.spec?.scaleTargetRef;
    return [
      hpa.metadata?.name ?? '',
      `${target?.kind ?? ''}/${target?.name ?? ''}`,
      formatHPATargets(hpa),
      hpa.spec?.minReplicas === undefined ? '<unset>' : String(hpa.spec.minReplicas),
      hpa.spec?.maxReplicas ?? 0,
      hpa.status?.currentReplicas ?? 0,
      age(hpa, nowMs),
    ];
  },
};

/**
 * Local table columns for servers that answer `as=Table` with a plain list. They mirror the
 * columns the Kubernetes API server prints for the common kinds; anything else gets NAME and AGE,
 * as the API server's default table does.
 */
import type { KubeObject, ResourceInfo, Table } from '@navarch/client';
import { ageOf } from './age.js';

type Column = { name: string; priority?: number; cell: (o: Any, now: number) => unknown };
// Objects are untyped JSON here: the printer reads whatever is present and prints `<none>` otherwise.
// biome-ignore lint/suspicious/noExplicitAny: printers walk arbitrary JSON.
type Any = any;

const name: Column = { name: 'Name', cell: (o) => o.metadata?.name ?? '' };
const age: Column = { name: 'Age', cell: (o, now) => ageOf(o.metadata?.creationTimestamp, now) };

function joinOr(values: unknown[], empty = '<none>'): string {
  const v = values.filter((x) => x !== undefined && x !== null && x !== '');
  return v.length === 0 ? empty : v.join(',');
}

function podStatus(pod: Any): { ready: string; status: string; restarts: number } {
  const statuses: Any[] = pod.status?.containerStatuses ?? [];
  const total = pod.spec?.containers?.length ?? statuses.length;
  const ready = statuses.filter((s) => s.ready).length;
  let restarts = 0;
  let reason: string = pod.status?.reason || pod.status?.phase || 'Pending';
  for (const s of statuses) {
    restarts += s.restartCount ?? 0;
    if (s.state?.waiting?.reason) reason = s.state.waiting.reason;
    else if (s.state?.terminated?.reason) reason = s.state.terminated.reason;
  }
  if (pod.metadata?.deletionTimestamp) reason = 'Terminating';
  return { ready: `${ready}/${total}`, status: reason, restarts };
}

function servicePorts(svc: Any): string {
  const ports: Any[] = svc.spec?.ports ?? [];
  if (ports.length === 0) return '<none>';
  return ports.map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',');
}

function selectorText(selector: Any): string {
  const labels = selector?.matchLabels ?? selector;
  if (!labels || typeof labels !== 'object') return '<none>';
  const parts = Object.keys(labels)
    .filter((k) => typeof labels[k] === 'string')
    .sort()
    .map((k) => `${k}=${labels[k]}`);
  return parts.length === 0 ? '<none>' : parts.join(',');
}

function containers(template: Any): { names: string; images: string } {
  const cs: Any[] = template?.spec?.containers ?? [];
  return { names: joinOr(cs.map((c) => c.name)), images: joinOr(cs.map((c) => c.image)) };
}

const COLUMNS: Record<string, Column[]> = {
  pods: [
    name,
    { name: 'Ready', cell: (o) => podStatus(o).ready },
    { name: 'Status', cell: (o) => podStatus(o).status },
    { name: 'Restarts', cell: (o) => podStatus(o).restarts },
    age,
    { name: 'IP', priority: 1, cell: (o) => o.status?.podIP ?? '<none>' },
    { name: 'Node', priority: 1, cell: (o) => o.spec?.nodeName ?? '<none>' },
    { name: 'Nominated Node', priority: 1, cell: (o) => o.status?.nominatedNodeName ?? '<none>' },
    { name: 'Readiness Gates', priority: 1, cell: () => '<none>' },
  ],
  deployments: [
    name,
    { name: 'Ready', cell: (o) => `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 1}` },
    { name: 'Up-to-date', cell: (o) => o.status?.updatedReplicas ?? 0 },
    { name: 'Available', cell: (o) => o.status?.availableReplicas ?? 0 },
    age,
    { name: 'Containers', priority: 1, cell: (o) => containers(o.spec?.template).names },
    { name: 'Images', priority: 1, cell: (o) => containers(o.spec?.template).images },
    { name: 'Selector', priority: 1, cell: (o) => selectorText(o.spec?.selector) },
  ],
  replicasets: [
    name,
    { name: 'Desired', cell: (o) => o.spec?.replicas ?? 1 },
    { name: 'Current', cell: (o) => o.status?.replicas ?? 0 },
    { name: 'Ready', cell: (o) => o.status?.readyReplicas ?? 0 },
    age,
    { name: 'Containers', priority: 1, cell: (o) => containers(o.spec?.template).names },
    { name: 'Images', priority: 1, cell: (o) => containers(o.spec?.template).images },
    { name: 'Selector', priority: 1, cell: (o) => selectorText(o.spec?.selector) },
  ],
  services: [
    name,
    { name: 'Type', cell: (o) => o.spec?.type ?? 'ClusterIP' },
    { name: 'Cluster-IP', cell: (o) => o.spec?.clusterIP || '<none>' },
    {
      name: 'External-IP',
      cell: (o) =>
        joinOr(
          [
            ...(o.status?.loadBalancer?.ingress ?? []).map((i: Any) => i.ip ?? i.hostname),
            ...(o.spec?.externalIPs ?? []),
          ],
          o.spec?.type === 'LoadBalancer' ? '<pending>' : '<none>',
        ),
    },
    { name: 'Port(s)', cell: servicePorts },
    age,
    { name: 'Selector', priority: 1, cell: (o) => selectorText(o.spec?.selector) },
  ],
  namespaces: [name, { name: 'Status', cell: (o) => o.status?.phase ?? 'Active' }, age],
  nodes: [
    name,
    {
      name: 'Status',
      cell: (o) => {
        const ready = (o.status?.conditions ?? []).find((c: Any) => c.type === 'Ready');
        let s = ready?.status === 'True' ? 'Ready' : ready ? 'NotReady' : 'Unknown';
        if (o.spec?.unschedulable) s += ',SchedulingDisabled';
        return s;
      },
    },
    {
      name: 'Roles',
      cell: (o) =>
        joinOr(
          Object.keys(o.metadata?.labels ?? {})
            .filter((k) => k.startsWith('node-role.kubernetes.io/'))
            .map((k) => k.slice('node-role.kubernetes.io/'.length)),
        ),
    },
    age,
    { name: 'Version', cell: (o) => o.status?.nodeInfo?.kubeletVersion ?? '' },
    {
      name: 'Internal-IP',
      priority: 1,
      cell: (o) => (o.status?.addresses ?? []).find((a: Any) => a.type === 'InternalIP')?.address ?? '<none>',
    },
  ],
  configmaps: [
    name,
    { name: 'Data', cell: (o) => Object.keys(o.data ?? {}).length + Object.keys(o.binaryData ?? {}).length },
    age,
  ],
  secrets: [
    name,
    { name: 'Type', cell: (o) => o.type ?? 'Opaque' },
    { name: 'Data', cell: (o) => Object.keys(o.data ?? {}).length },
    age,
  ],
  endpoints: [
    name,
    {
      name: 'Endpoints',
      cell: (o) => {
        const eps: string[] = [];
        for (const subset of o.subsets ?? []) {
          for (const a of subset.addresses ?? []) {
            for (const p of subset.ports ?? [{}]) eps.push(p.port ? `${a.ip}:${p.port}` : a.ip);
          }
        }
        return eps.length === 0
          ? '<none>'
          : eps.length > 3
            ? `${eps.slice(0, 3).join(',')} + ${eps.length - 3} more...`
            : eps.join(',');
      },
    },
    age,
  ],
  events: [
    {
      name: 'Last Seen',
      cell: (o, now) => ageOf(o.lastTimestamp ?? o.eventTime ?? o.metadata?.creationTimestamp, now),
    },
    { name: 'Type', cell: (o) => o.type ?? '' },
    { name: 'Reason', cell: (o) => o.reason ?? '' },
    {
      name: 'Object',
      cell: (o) => `${(o.involvedObject?.kind ?? '').toLowerCase()}/${o.involvedObject?.name ?? ''}`,
    },
    { name: 'Message', cell: (o) => (o.message ?? '').trim() },
  ],
  persistentvolumeclaims: [
    name,
    { name: 'Status', cell: (o) => o.status?.phase ?? 'Pending' },
    { name: 'Volume', cell: (o) => o.spec?.volumeName ?? '' },
    { name: 'Capacity', cell: (o) => o.status?.capacity?.storage ?? '' },
    { name: 'Access Modes', cell: (o) => accessModes(o.status?.accessModes ?? []) },
    { name: 'StorageClass', cell: (o) => o.spec?.storageClassName ?? '<unset>' },
    { name: 'VolumeAttributesClass', cell: () => '<unset>' },
    age,
  ],
  horizontalpodautoscalers: [
    name,
    {
      name: 'Reference',
      cell: (o) => `${o.spec?.scaleTargetRef?.kind ?? ''}/${o.spec?.scaleTargetRef?.name ?? ''}`,
    },
    { name: 'Targets', cell: () => '<unknown>' },
    { name: 'MinPods', cell: (o) => o.spec?.minReplicas ?? 1 },
    { name: 'MaxPods', cell: (o) => o.spec?.maxReplicas ?? '' },
    { name: 'Replicas', cell: (o) => o.status?.currentReplicas ?? 0 },
    age,
  ],
  ingresses: [
    name,
    { name: 'Class', cell: (o) => o.spec?.ingressClassName ?? '<none>' },
    {
      name: 'Hosts',
      cell: (o) =>
        joinOr(
          (o.spec?.rules ?? []).map((r: Any) => r.host),
          '*',
        ),
    },
    {
      name: 'Address',
      cell: (o) =>
        joinOr(
          (o.status?.loadBalancer?.ingress ?? []).map((i: Any) => i.ip ?? i.hostname),
          '',
        ),
    },
    { name: 'Ports', cell: (o) => ((o.spec?.tls ?? []).length > 0 ? '80, 443' : '80') },
    age,
  ],
};

function accessModes(modes: string[]): string {
  const short: Record<string, string> = {
    ReadWriteOnce: 'RWO',
    ReadOnlyMany: 'ROX',
    ReadWriteMany: 'RWX',
    ReadWriteOncePod: 'RWOP',
  };
  return modes.map((m) => short[m] ?? m).join(',');
}

/** Builds the Table the API server would have printed for these objects. */
export function localTable(info: ResourceInfo, objects: KubeObject[], nowMs: number): Table {
  const columns = COLUMNS[info.resource] ?? [name, age];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    columnDefinitions: columns.map((c) => ({
      name: c.name,
      type: 'string',
      priority: c.priority ?? 0,
      ...(c === name ? { format: 'name' } : {}),
    })),
    rows: objects.map((o) => ({ cells: columns.map((c) => c.cell(o, nowMs)), object: o })),
  };
}

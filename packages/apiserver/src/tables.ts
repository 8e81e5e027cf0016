/**
 * Server-side printing: `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` returns a
 * meta.k8s.io/v1 Table with the columns kubectl shows (priority 1 columns appear with -o wide).
 * @navarch/api will own the printers; this is the local set until its entry exports them.
 */
import type { KubeObject } from './objects.js';

/** One column of a Table. */
export interface TableColumn {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'date' | 'number';
  readonly format: string;
  readonly description: string;
  readonly priority: number;
}

type Cell = string | number;
type Printer = { columns: TableColumn[]; row: (o: KubeObject) => Cell[] };

function col(name: string, priority = 0, type: TableColumn['type'] = 'string', format = ''): TableColumn {
  return { name, type, format, description: `${name} of the object`, priority };
}

/** Kubernetes' HumanDuration: 45s, 5m10s, 3h20m, 4d, 2y... */
export function humanDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (d < 8) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  if (d < 365 * 2) return `${d}d`;
  const y = Math.floor(d / 365);
  if (y < 8) return d % 365 === 0 ? `${y}y` : `${y}y${d % 365}d`;
  return `${y}y`;
}

function age(o: KubeObject): string {
  const t = o.metadata.creationTimestamp;
  if (!t) return '<unknown>';
  return humanDuration((Date.now() - Date.parse(t)) / 1000);
}

function rec(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function arr(v: unknown): Record<string, unknown>[] {
  return Array.isArray(v) ? v.map(rec) : [];
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}

function selectorText(sel: unknown): string {
  const s = rec(sel);
  const parts = Object.entries(rec(s.matchLabels ?? (s.matchExpressions === undefined ? s : {}))).map(
    ([k, v]) => `${k}=${String(v)}`,
  );
  for (const e of arr(s.matchExpressions)) {
    parts.push(
      `${String(e.key)} ${String(e.operator).toLowerCase()} (${(Array.isArray(e.values) ? e.values : []).join(',')})`,
    );
  }
  return parts.length > 0 ? parts.join(',') : '<none>';
}

function containersOf(template: unknown): Record<string, unknown>[] {
  return arr(rec(rec(template).spec).containers);
}

function podStatus(o: KubeObject): { ready: string; status: string; restarts: number } {
  const spec = rec(o.spec);
  const status = rec(o.status);
  const containers = arr(spec.containers);
  const statuses = arr(status.containerStatuses);
  let reason = String(status.reason ?? status.phase ?? 'Pending');
  let readyCount = 0;
  let restarts = 0;
  for (const cs of statuses) {
    restarts += num(cs.restartCount);
    if (cs.ready === true) readyCount++;
    const state = rec(cs.state);
    const waitingReason = rec(state.waiting).reason;
    const terminated = rec(state.terminated);
    if (typeof waitingReason === 'string' && waitingReason !== '') reason = waitingReason;
    else if (typeof terminated.reason === 'string') reason = terminated.reason;
  }
  if (o.metadata.deletionTimestamp !== undefined) reason = 'Terminating';
  return { ready: `${readyCount}/${containers.length}`, status: reason, restarts };
}

function servicePorts(o: KubeObject): string {
  const ports = arr(rec(o.spec).ports);
  if (ports.length === 0) return '<none>';
  return ports
    .map(
      (p) =>
        `${String(p.port)}${p.nodePort !== undefined ? `:${String(p.nodePort)}` : ''}/${String(p.protocol ?? 'TCP')}`,
    )
    .join(',');
}

function externalIp(o: KubeObject): string {
  const spec = rec(o.spec);
  const ips = Array.isArray(spec.externalIPs) ? (spec.externalIPs as string[]) : [];
  const lb = arr(rec(rec(o.status).loadBalancer).ingress).map((i) => String(i.ip ?? i.hostname ?? ''));
  if (spec.type === 'ExternalName') return String(spec.externalName ?? '<none>');
  if (spec.type === 'LoadBalancer') return [...lb, ...ips].join(',') || '<pending>';
  return ips.length > 0 ? ips.join(',') : '<none>';
}

function nodeStatus(o: KubeObject): string {
  const ready = arr(rec(o.status).conditions).find((c) => c.type === 'Ready');
  let s = ready?.status === 'True' ? 'Ready' : ready ? 'NotReady' : 'Unknown';
  if (rec(o.spec).unschedulable === true) s += ',SchedulingDisabled';
  return s;
}

function roles(o: KubeObject): string {
  const rs = Object.keys(o.metadata.labels ?? {})
    .filter((k) => k.startsWith('node-role.kubernetes.io/'))
    .map((k) => k.slice('node-role.kubernetes.io/'.length));
  return rs.length > 0 ? rs.join(',') : '<none>';
}

const name = col('Name', 0, 'string', 'name');
const ageCol = col('Age', 0, 'string');

const workloadImages = (o: KubeObject) => {
  const cs = containersOf(rec(o.spec).template);
  return [
    cs.map((c) => String(c.name)).join(','),
    cs.map((c) => String(c.image)).join(','),
    selectorText(rec(o.spec).selector),
  ];
};

const printers: Record<string, Printer> = {
  Pod: {
    columns: [
      name,
      col('Ready'),
      col('Status'),
      col('Restarts', 0, 'string'),
      ageCol,
      col('IP', 1),
      col('Node', 1),
      col('Nominated Node', 1),
      col('Readiness Gates', 1),
    ],
    row: (o) => {
      const p = podStatus(o);
      const status = rec(o.status);
      return [
        o.metadata.name ?? '',
        p.ready,
        p.status,
        String(p.restarts),
        age(o),
        String(status.podIP ?? '<none>'),
        String(rec(o.spec).nodeName ?? '<none>'),
        String(status.nominatedNodeName ?? '<none>'),
        '<none>',
      ];
    },
  },
  Deployment: {
    columns: [
      name,
      col('Ready'),
      col('Up-to-date', 0, 'integer'),
      col('Available', 0, 'integer'),
      ageCol,
      col('Containers', 1),
      col('Images', 1),
      col('Selector', 1),
    ],
    row: (o) => {
      const s = rec(o.status);
      return [
        o.metadata.name ?? '',
        `${num(s.readyReplicas)}/${num(rec(o.spec).replicas)}`,
        num(s.updatedReplicas),
        num(s.availableReplicas),
        age(o),
        ...workloadImages(o),
      ];
    },
  },
  ReplicaSet: {
    columns: [
      name,
      col('Desired', 0, 'integer'),
      col('Current', 0, 'integer'),
      col('Ready', 0, 'integer'),
      ageCol,
      col('Containers', 1),
      col('Images', 1),
      col('Selector', 1),
    ],
    row: (o) => {
      const s = rec(o.status);
      return [
        o.metadata.name ?? '',
        num(rec(o.spec).replicas),
        num(s.replicas),
        num(s.readyReplicas),
        age(o),
        ...workloadImages(o),
      ];
    },
  },
  StatefulSet: {
    columns: [name, col('Ready'), ageCol, col('Containers', 1), col('Images', 1)],
    row: (o) => [
      o.metadata.name ?? '',
      `${num(rec(o.status).readyReplicas)}/${num(rec(o.spec).replicas)}`,
      age(o),
      ...workloadImages(o).slice(0, 2),
    ],
  },
  DaemonSet: {
    columns: [
      name,
      col('Desired', 0, 'integer'),
      col('Current', 0, 'integer'),
      col('Ready', 0, 'integer'),
      col('Up-to-date', 0, 'integer'),
      col('Available', 0, 'integer'),
      col('Node Selector'),
      ageCol,
    ],
    row: (o) => {
      const s = rec(o.status);
      const ns = Object.entries(rec(rec(rec(rec(o.spec).template).spec).nodeSelector)).map(
        ([k, v]) => `${k}=${String(v)}`,
      );
      return [
        o.metadata.name ?? '',
        num(s.desiredNumberScheduled),
        num(s.currentNumberScheduled),
        num(s.numberReady),
        num(s.updatedNumberScheduled),
        num(s.numberAvailable),
        ns.join(',') || '<none>',
        age(o),
      ];
    },
  },
  Service: {
    columns: [
      name,
      col('Type'),
      col('Cluster-IP'),
      col('External-IP'),
      col('Port(s)'),
      ageCol,
      col('Selector', 1),
    ],
    row: (o) => {
      const spec = rec(o.spec);
      const sel = Object.entries(rec(spec.selector)).map(([k, v]) => `${k}=${String(v)}`);
      return [
        o.metadata.name ?? '',
        String(spec.type ?? 'ClusterIP'),
        String(spec.clusterIP ?? '<none>'),
        externalIp(o),
        servicePorts(o),
        age(o),
        sel.join(',') || '<none>',
      ];
    },
  },
  Endpoints: {
    columns: [name, col('Endpoints'), ageCol],
    row: (o) => {
      const eps: string[] = [];
      for (const s of arr(o.subsets))
        for (const a of arr(s.addresses))
          for (const p of arr(s.ports)) eps.push(`${String(a.ip)}:${String(p.port)}`);
      return [
        o.metadata.name ?? '',
        eps.length > 0
          ? eps.slice(0, 3).join(',') + (eps.length > 3 ? ` + ${eps.length - 3} more...` : '')
          : '<none>',
        age(o),
      ];
    },
  },
  Namespace: {
    columns: [name, col('Status'), ageCol],
    row: (o) => [o.metadata.name ?? '', String(rec(o.status).phase ?? 'Active'), age(o)],
  },
  Node: {
    columns: [
      name,
      col('Status'),
      col('Roles'),
      ageCol,
      col('Version'),
      col('Internal-IP', 1),
      col('External-IP', 1),
      col('OS-Image', 1),
      col('Kernel-Version', 1),
      col('Container-Runtime', 1),
    ],
    row: (o) => {
      const status = rec(o.status);
      const info = rec(status.nodeInfo);
      const addr = (t: string) =>
        String(arr(status.addresses).find((a) => a.type === t)?.address ?? '<none>');
      return [
        o.metadata.name ?? '',
        nodeStatus(o),
        roles(o),
        age(o),
        String(info.kubeletVersion ?? ''),
        addr('InternalIP'),
        addr('ExternalIP'),
        String(info.osImage ?? '<unknown>'),
        String(info.kernelVersion ?? '<unknown>'),
        String(info.containerRuntimeVersion ?? '<unknown>'),
      ];
    },
  },
  ConfigMap: {
    columns: [name, col('Data', 0, 'integer'), ageCol],
    row: (o) => [
      o.metadata.name ?? '',
      Object.keys(rec(o.data)).length + Object.keys(rec(o.binaryData)).length,
      age(o),
    ],
  },
  Secret: {
    columns: [name, col('Type'), col('Data', 0, 'integer'), ageCol],
    row: (o) => [o.metadata.name ?? '', String(o.type ?? 'Opaque'), Object.keys(rec(o.data)).length, age(o)],
  },
  ServiceAccount: {
    columns: [name, col('Secrets', 0, 'integer'), ageCol],
    row: (o) => [o.metadata.name ?? '', arr(o.secrets).length, age(o)],
  },
  Event: {
    columns: [col('Last Seen'), col('Type'), col('Reason'), col('Object'), col('Message')],
    row: (o) => {
      const inv = rec(o.involvedObject);
      const last = String(o.lastTimestamp ?? o.eventTime ?? o.metadata.creationTimestamp ?? '');
      return [
        last ? humanDuration((Date.now() - Date.parse(last)) / 1000) : '<unknown>',
        String(o.type ?? ''),
        String(o.reason ?? ''),
        `${String(inv.kind ?? '').toLowerCase()}/${String(inv.name ?? '')}`,
        String(o.message ?? ''),
      ];
    },
  },
  PersistentVolumeClaim: {
    columns: [
      name,
      col('Status'),
      col('Volume'),
      col('Capacity'),
      col('Access Modes'),
      col('StorageClass'),
      ageCol,
    ],
    row: (o) => {
      const spec = rec(o.spec);
      const status = rec(o.status);
      return [
        o.metadata.name ?? '',
        String(status.phase ?? 'Pending'),
        String(spec.volumeName ?? ''),
        String(rec(status.capacity).storage ?? ''),
        (Array.isArray(spec.accessModes) ? spec.accessModes : [])
          .map((m) =>
            String(m)
              .replace('ReadWriteOnce', 'RWO')
              .replace('ReadOnlyMany', 'ROX')
              .replace('ReadWriteMany', 'RWX'),
          )
          .join(','),
        String(spec.storageClassName ?? '<unset>'),
        age(o),
      ];
    },
  },
  Ingress: {
    columns: [name, col('Class'), col('Hosts'), col('Address'), col('Ports'), ageCol],
    row: (o) => {
      const spec = rec(o.spec);
      const hosts = arr(spec.rules).map((r) => String(r.host ?? '*'));
      const tls = arr(spec.tls).length > 0;
      const address = arr(rec(rec(o.status).loadBalancer).ingress)
        .map((i) => String(i.ip ?? i.hostname ?? ''))
        .join(',');
      return [
        o.metadata.name ?? '',
        String(spec.ingressClassName ?? '<none>'),
        hosts.join(',') || '*',
        address,
        tls ? '80, 443' : '80',
        age(o),
      ];
    },
  },
  HorizontalPodAutoscaler: {
    columns: [
      name,
      col('Reference'),
      col('Targets'),
      col('MinPods', 0, 'integer'),
      col('MaxPods', 0, 'integer'),
      col('Replicas', 0, 'integer'),
      ageCol,
    ],
    row: (o) => {
      const spec = rec(o.spec);
      const ref = rec(spec.scaleTargetRef);
      const targets = arr(spec.metrics).map((m) => {
        const t = rec(rec(rec(m).resource).target);
        return `<unknown>/${String(t.averageUtilization ?? t.averageValue ?? t.value ?? '')}${t.averageUtilization !== undefined ? '%' : ''}`;
      });
      return [
        o.metadata.name ?? '',
        `${String(ref.kind)}/${String(ref.name)}`,
        targets.join(', ') || '<none>',
        num(spec.minReplicas) || 1,
        num(spec.maxReplicas),
        num(rec(o.status).currentReplicas),
        age(o),
      ];
    },
  },
  Job: {
    columns: [name, col('Status'), col('Completions'), col('Duration'), ageCol],
    row: (o) => {
      const s = rec(o.status);
      return [
        o.metadata.name ?? '',
        num(s.succeeded) >= (num(rec(o.spec).completions) || 1) ? 'Complete' : 'Running',
        `${num(s.succeeded)}/${num(rec(o.spec).completions) || 1}`,
        '',
        age(o),
      ];
    },
  },
};

const defaultPrinter: Printer = { columns: [name, ageCol], row: (o) => [o.metadata.name ?? '', age(o)] };

/** What each row carries besides its cells (`includeObject`). */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

/** Builds a Table for a list (or a single object) of `kind`. */
export function toTable(
  kind: string,
  objects: readonly KubeObject[],
  include: IncludeObject,
  listMeta: Record<string, unknown>,
): Record<string, unknown> {
  const printer = printers[kind] ?? defaultPrinter;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: printer.columns,
    rows: objects.map((o) => tableRow(printer, o, include)),
  };
}

function tableRow(printer: Printer, o: KubeObject, include: IncludeObject): Record<string, unknown> {
  const row: Record<string, unknown> = { cells: printer.row(o) };
  if (include === 'Object') row.object = o;
  else if (include === 'Metadata')
    row.object = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
  return row;
}

/** A single-row Table for a watch event (kubectl get --watch asks for tables). */
export function eventTable(
  kind: string,
  o: KubeObject,
  include: IncludeObject,
  withColumns: boolean,
): Record<string, unknown> {
  const printer = printers[kind] ?? defaultPrinter;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion: o.metadata.resourceVersion },
    columnDefinitions: withColumns ? printer.columns : [],
    rows: [tableRow(printer, o, include)],
  };
}

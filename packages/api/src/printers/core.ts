/** Printers of the other kinds: Service, Endpoints, ConfigMap, Secret, Namespace, Node, Event, PV, PVC, Ingress, Lease. */
import { formatAge } from '../age.js';
import { formatLabels } from '../labels.js';
import type { Lease } from '../types/coordination.js';
import type {
  ConfigMap,
  Endpoints,
  Event,
  Namespace,
  Node,
  PersistentVolume,
  PersistentVolumeAccessMode,
  PersistentVolumeClaim,
  Secret,
  Service,
} from '../types/core.js';
import type { KubeObject } from '../types/meta.js';
import type { Ingress } from '../types/networking.js';
import { AGE, age, column, NAME, orNone, type Printer } from './common.js';

function serviceExternalIP(service: Service): string {
  const spec = service.spec ?? {};
  const external = spec.externalIPs ?? [];
  switch (spec.type ?? 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return external.length > 0 ? external.join(',') : '<none>';
    case 'LoadBalancer': {
      const ingress = (service.status?.loadBalancer?.ingress ?? []).map(
        (point) => point.ip ?? point.hostname ?? '',
      );
      const all = [...ingress.filter((value) => value !== ''), ...external];
      return all.length > 0 ? all.join(',') : '<pending>';
    }
    case 'ExternalName':
      return spec.externalName ?? '<none>';
  }
}

/** The PORT(S) column: `80/TCP`, `80:30080/TCP`, comma separated, or `<none>`. */
export function formatServicePorts(service: Service): string {
  const ports = service.spec?.ports ?? [];
  if (ports.length === 0) return '<none>';
  return ports
    .map((port) => {
      const protocol = port.protocol ?? 'TCP';
      return port.nodePort !== undefined && port.nodePort !== 0
        ? `${port.port}:${port.nodePort}/${protocol}`
        : `${port.port}/${protocol}`;
    })
    .join(',');
}

/** service table. */
export const servicePrinter: Printer = {
  columns: [
    NAME,
    column('Type', 'string', 'The type of the service.'),
    column('Cluster-IP', 'string', 'The IP address of the service.'),
    column('External-IP', 'string', 'The external IP addresses of the service.'),
    column('Port(s)', 'string', 'The ports the service exposes.'),
    AGE,
    column(
      'Selector',
      'string',
      'Route service traffic to pods with label keys and values matching this selector.',
      1,
    ),
  ],
  cells(service: Service, nowMs) {
    const type = service.spec?.type ?? 'ClusterIP';
    return [
      service.metadata?.name ?? '',
      type,
      type === 'ExternalName' ? '<none>' : orNone(service.spec?.clusterIP),
      serviceExternalIP(service),
      formatServicePorts(service),
      age(service, nowMs),
      formatLabels(service.spec?.selector),
    ];
  },
};

/** The ENDPOINTS column: up to three `ip:port` pairs then `+ N more...`, or `<none>`. */
export function formatEndpoints(endpoints: Endpoints): string {
  const pairs: string[] = [];
  let count = 0;
  for (const subset of endpoints.subsets ?? []) {
    const addresses = subset.addresses ?? [];
    const ports = subset.ports ?? [];
    for (const address of addresses) {
      if (ports.length === 0) {
        count += 1;
        if (pairs.length < 3) pairs.push(address.ip);
        continue;
      }
      for (const port of ports) {
        count += 1;
        if (pairs.length < 3) pairs.push(`${address.ip}:${port.port}`);
      }
    }
  }
  if (count === 0) return '<none>';
  const more = count - pairs.length;
  return more > 0 ? `${pairs.join(',')} + ${more} more...` : pairs.join(',');
}

/** endpoints table. */
export const endpointsPrinter: Printer = {
  columns: [NAME, column('Endpoints', 'string', 'Endpoints of the service.'), AGE],
  cells(endpoints: Endpoints, nowMs) {
    return [endpoints.metadata?.name ?? '', formatEndpoints(endpoints), age(endpoints, nowMs)];
  },
};

/** configMap table. */
export const configMapPrinter: Printer = {
  columns: [NAME, column('Data', 'integer', 'Number of keys in the config map.'), AGE],
  cells(configMap: ConfigMap, nowMs) {
    const count = Object.keys(configMap.data ?? {}).length + Object.keys(configMap.binaryData ?? {}).length;
    return [configMap.metadata?.name ?? '', count, age(configMap, nowMs)];
  },
};

/** secret table. */
export const secretPrinter: Printer = {
  columns: [
    NAME,
    column('Type', 'string', 'The type of the secret.'),
    column('Data', 'integer', 'Number of keys in the secret.'),
    AGE,
  ],
  cells(secret: Secret, nowMs) {
    const keys = new Set([...Object.keys(secret.data ?? {}), ...Object.keys(secret.stringData ?? {})]);
    return [secret.metadata?.name ?? '', secret.type ?? 'Opaque', keys.size, age(secret, nowMs)];
  },
};

/** namespace table. */
export const namespacePrinter: Printer = {
  columns: [NAME, column('Status', 'string', 'The status of the namespace.'), AGE],
  cells(namespace: Namespace, nowMs) {
    return [namespace.metadata?.name ?? '', namespace.status?.phase ?? 'Active', age(namespace, nowMs)];
  },
};

/** The STATUS column of a node: Ready/NotReady/Unknown, plus `,SchedulingDisabled` when cordoned. */
export function nodeStatus(node: Node): string {
  const ready = (node.status?.conditions ?? []).find((condition) => condition.type === 'Ready');
  const parts = [
    ready === undefined
      ? 'Unknown'
      : ready.status === 'True'
        ? 'Ready'
        : ready.status === 'False'
          ? 'NotReady'
          : 'Unknown',
  ];
  if (node.spec?.unschedulable === true) parts.push('SchedulingDisabled');
  return parts.join(',');
}

/** The ROLES column: from `node-role.kubernetes.io/<role>` and `kubernetes.io/role` labels. */
export function nodeRoles(node: Node): string {
  const roles = new Set<string>();
  for (const [name, value] of Object.entries(node.metadata?.labels ?? {})) {
    if (name.startsWith('node-role.kubernetes.io/')) {
      const role = name.slice('node-role.kubernetes.io/'.length);
      if (role !== '') roles.add(role);
    } else if (name === 'kubernetes.io/role' && value !== '') {
      roles.add(value);
    }
  }
  return roles.size === 0 ? '<none>' : [...roles].sort().join(',');
}

/** node table. */
export const nodePrinter: Printer = {
  columns: [
    NAME,
    column('Status', 'string', 'The status of the node.'),
    column('Roles', 'string', 'The roles of the node.'),
    AGE,
    column('Version', 'string', 'Kubelet Version reported by the node.'),
    column('Internal-IP', 'string', 'List of internal IPs.', 1),
    column('External-IP', 'string', 'List of external IPs.', 1),
    column('OS-Image', 'string', 'OS Image reported by the node.', 1),
    column('Kernel-Version', 'string', 'Kernel Version reported by the node.', 1),
    column('Container-Runtime', 'string', 'Container Runtime Version reported by the node.', 1),
  ],
  cells(node: Node, nowMs) {
    const addresses = node.status?.addresses ?? [];
    const address = (type: string): string => orNone(addresses.find((entry) => entry.type === type)?.address);
    const info = node.status?.nodeInfo;
    return [
      node.metadata?.name ?? '',
      nodeStatus(node),
      nodeRoles(node),
      age(node, nowMs),
      info?.kubeletVersion ?? '',
      address('InternalIP'),
      address('ExternalIP'),
      info?.osImage ?? '<unknown>',
      info?.kernelVersion ?? '<unknown>',
      info?.containerRuntimeVersion ?? '<unknown>',
    ];
  },
};

/** event table. */
export const eventPrinter: Printer = {
  columns: [
    column('Last Seen', 'string', 'Time since the event was last observed.'),
    column('Type', 'string', 'Type of this event (Normal, Warning).'),
    column(
      'Reason',
      'string',
      'Short, machine understandable string that gives the reason for the transition.',
    ),
    column('Object', 'string', 'The object this event is about.'),
    column('Subobject', 'string', 'The part of the object this event is about.', 1),
    column('Source', 'string', 'The component reporting this event.', 1),
    column('Message', 'string', 'A human-readable description of the status of this operation.'),
    column('First Seen', 'string', 'Time since the event was first observed.', 1),
    column('Count', 'string', 'The number of times this event has occurred.', 1),
    column('Name', 'string', 'The name of the event.', 1, 'name'),
  ],
  cells(event: Event, nowMs) {
    const last = event.lastTimestamp ?? event.eventTime ?? event.metadata?.creationTimestamp;
    const first = event.firstTimestamp ?? event.eventTime ?? event.metadata?.creationTimestamp;
    const involved = event.involvedObject ?? {};
    const source = event.source?.component ?? event.reportingComponent ?? '';
    const host = event.source?.host ?? event.reportingInstance ?? '';
    return [
      formatAge(last, nowMs),
      event.type ?? '',
      event.reason ?? '',
      `${(involved.kind ?? '').toLowerCase()}/${involved.name ?? ''}`,
      involved.fieldPath ?? '',
      host === '' ? source : `${source}, ${host}`,
      (event.message ?? '').trim(),
      formatAge(first, nowMs),
      String(event.series?.count ?? event.count ?? 1),
      event.metadata?.name ?? '',
    ];
  },
};

const ACCESS_MODE_SHORT: Record<PersistentVolumeAccessMode, string> = {
  ReadWriteOnce: 'RWO',
  ReadOnlyMany: 'ROX',
  ReadWriteMany: 'RWX',
  ReadWriteOncePod: 'RWOP',
};

function accessModes(modes: PersistentVolumeAccessMode[] | undefined): string {
  return (modes ?? []).map((mode) => ACCESS_MODE_SHORT[mode] ?? mode).join(',');
}

/** persistentVolume table. */
export const persistentVolumePrinter: Printer = {
  columns: [
    NAME,
    column('Capacity', 'string', 'The storage capacity of the volume.'),
    column('Access Modes', 'string', 'The ways the volume can be mounted.'),
    column('Reclaim Policy', 'string', 'What happens to the volume when released from its claim.'),
    column('Status', 'string', 'The phase of the volume.'),
    column('Claim', 'string', 'The claim bound to the volume.'),
    column('StorageClass', 'string', 'The storage class of the volume.'),
    column('Reason', 'string', 'Why the volume is in this phase.'),
    AGE,
    column('VolumeMode', 'string', 'Filesystem or Block.', 1),
  ],
  cells(volume: PersistentVolume, nowMs) {
    const claim = volume.spec?.claimRef;
    return [
      volume.metadata?.name ?? '',
      String(volume.spec?.capacity?.storage ?? ''),
      accessModes(volume.spec?.accessModes),
      volume.spec?.persistentVolumeReclaimPolicy ?? '',
      volume.status?.phase ?? '',
      claim === undefined ? '' : `${claim.namespace ?? ''}/${claim.name ?? ''}`,
      volume.spec?.storageClassName ?? '',
      volume.status?.reason ?? '',
      age(volume, nowMs),
      volume.spec?.volumeMode ?? '<unset>',
    ];
  },
};

/** persistentVolumeClaim table. */
export const persistentVolumeClaimPrinter: Printer = {
  columns: [
    NAME,
    column('Status', 'string', 'The phase of the claim.'),
    column('Volume', 'string', 'The volume bound to the claim.'),
    column('Capacity', 'string', 'The capacity of the bound volume.'),
    column('Access Modes', 'string', 'The access modes of the bound volume.'),
    column('StorageClass', 'string', 'The storage class requested by the claim.'),
    AGE,
    column('VolumeMode', 'string', 'Filesystem or Block.', 1),
  ],
  cells(claim: PersistentVolumeClaim, nowMs) {
    const bound = claim.status?.phase === 'Bound';
    return [
      claim.metadata?.name ?? '',
      claim.status?.phase ?? 'Pending',
      claim.spec?.volumeName ?? '',
      bound ? String(claim.status?.capacity?.storage ?? '') : '',
      bound ? accessModes(claim.status?.accessModes) : '',
      claim.spec?.storageClassName ?? '',
      age(claim, nowMs),
      claim.spec?.volumeMode ?? '<unset>',
    ];
  },
};

function listWithMore(items: string[], max: number): string {
  if (items.length <= max) return items.join(',');
  return `${items.slice(0, max).join(',')} + ${items.length - max} more...`;
}

/** ingress table. */
export const ingressPrinter: Printer = {
  columns: [
    NAME,
    column('Class', 'string', 'The ingress class of the ingress.'),
    column('Hosts', 'string', 'Hosts that incoming requests are matched against before the ingress rule.'),
    column('Address', 'string', 'Address is a list containing ingress points for the load-balancer.'),
    column('Ports', 'string', 'Ports of TLS configurations that open.'),
    AGE,
  ],
  cells(ingress: Ingress, nowMs) {
    const hosts = (ingress.spec?.rules ?? []).map((rule) => rule.host ?? '').filter((host) => host !== '');
    const addresses = (ingress.status?.loadBalancer?.ingress ?? []).map(
      (point) => point.ip ?? point.hostname ?? '',
    );
    return [
      ingress.metadata?.name ?? '',
      ingress.spec?.ingressClassName ?? '<none>',
      hosts.length === 0 ? '*' : listWithMore(hosts, 3),
      addresses.join(','),
      (ingress.spec?.tls ?? []).length > 0 ? '80, 443' : '80',
      age(ingress, nowMs),
    ];
  },
};

/** lease table. */
export const leasePrinter: Printer = {
  columns: [NAME, column('Holder', 'string', 'The holder of the lease.'), AGE],
  cells(lease: Lease, nowMs) {
    return [lease.metadata?.name ?? '', lease.spec?.holderIdentity ?? '', age(lease, nowMs)];
  },
};

/** default table. */
export const defaultPrinter: Printer = {
  columns: [NAME, AGE],
  cells(object: KubeObject, nowMs) {
    return [object.metadata?.name ?? '', age(object, nowMs)];
  },
};

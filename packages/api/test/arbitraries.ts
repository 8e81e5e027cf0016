/**
 * fast-check generators of valid Navarch objects, one per kind, plus targeted invalid
 * mutations (each names the field the resulting cause must point at). Used by the property
 * tests; every generated object is valid both before and after defaulting.
 */
import type { KubeObject } from '@navarch/api';
import fc from 'fast-check';

/** DNS-1035 label: valid as any kind's name, a container name, a port name. */
export const dnsLabel = fc.stringMatching(/^[a-z]([a-z0-9-]{0,8}[a-z0-9])?$/);
const labelKey = fc.oneof(
  fc.stringMatching(/^[a-z][a-z0-9_.-]{0,8}[a-z0-9]$/),
  fc
    .tuple(fc.constantFrom('example.com', 'app.kubernetes.io', 'navarch.io'), dnsLabel)
    .map(([prefix, name]) => `${prefix}/${name}`),
);
const labelValue = fc.stringMatching(/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,10}[A-Za-z0-9])?)?$/);
const labels = fc.dictionary(labelKey, labelValue, { maxKeys: 4 });
const nonEmptyLabels = fc.dictionary(labelKey, labelValue, { minKeys: 1, maxKeys: 3 });
const image = fc
  .tuple(dnsLabel, fc.option(fc.constantFrom('latest', '1.0', 'v2.1.0', 'alpine'), { nil: undefined }))
  .map(([name, tag]) => (tag === undefined ? name : `${name}:${tag}`));
const port = fc.integer({ min: 1, max: 65535 });
const cpu = fc.oneof(
  fc.integer({ min: 1, max: 4000 }).map((milli) => `${milli}m`),
  fc.constantFrom('1', '2', '0.5'),
);
const memory = fc.integer({ min: 1, max: 4096 }).map((mebi) => `${mebi}Mi`);
const envName = fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,10}$/);
const namespacedMeta = fc.record(
  {
    name: dnsLabel,
    namespace: dnsLabel,
    labels,
    annotations: fc.dictionary(labelKey, fc.string({ maxLength: 20 }), { maxKeys: 2 }),
  },
  { requiredKeys: ['name', 'namespace'] },
);
const clusterMeta = fc.record({ name: dnsLabel, labels }, { requiredKeys: ['name'] });
const meta = (namespaced: boolean): fc.Arbitrary<Record<string, unknown>> =>
  namespaced ? namespacedMeta : clusterMeta;

const probe = fc.record({
  httpGet: fc.record({ path: fc.constantFrom('/', '/health', '/ready'), port }),
  initialDelaySeconds: fc.nat({ max: 60 }),
  periodSeconds: fc.integer({ min: 1, max: 60 }),
});

const container = (name: string) =>
  fc.record(
    {
      name: fc.constant(name),
      image,
      ports: fc
        .uniqueArray(port, { maxLength: 3 })
        .map((ports) => ports.map((containerPort) => ({ containerPort }))),
      env: fc.array(fc.record({ name: envName, value: fc.string({ maxLength: 10 }) }), { maxLength: 3 }),
      resources: fc.tuple(cpu, memory).map(([cpuRequest, memoryRequest]) => ({
        requests: { cpu: cpuRequest, memory: memoryRequest },
        limits: { cpu: cpuRequest, memory: memoryRequest },
      })),
      readinessProbe: probe,
      livenessProbe: probe,
    },
    { requiredKeys: ['name', 'image'] },
  );

const volumeSource = fc.oneof(
  fc.constant({ emptyDir: {} }),
  dnsLabel.map((name) => ({ configMap: { name } })),
  dnsLabel.map((secretName) => ({ secret: { secretName } })),
  dnsLabel.map((claimName) => ({ persistentVolumeClaim: { claimName } })),
);
const toleration = fc.oneof(
  fc.record({
    key: labelKey,
    operator: fc.constant('Exists'),
    effect: fc.constantFrom('NoSchedule', 'NoExecute'),
  }),
  fc.record({ key: labelKey, operator: fc.constant('Equal'), value: labelValue }),
);

/**
 * A pod spec with 1-3 containers and 0-1 init containers (names unique across both),
 * volumes mounted by the first container, tolerations and an envFrom reference.
 */
export const podSpec = fc
  .tuple(
    fc.uniqueArray(dnsLabel, { minLength: 1, maxLength: 4 }),
    fc.boolean(),
    fc.uniqueArray(dnsLabel, { maxLength: 3 }),
  )
  .chain(([names, withInit, volumeNames]) => {
    const initCount = withInit && names.length > 1 ? 1 : 0;
    return fc.tuple(
      fc.tuple(...names.map((name) => container(name))),
      fc.tuple(...volumeNames.map(() => volumeSource)),
      fc.constant(initCount),
      fc.constant(volumeNames),
      fc.option(dnsLabel, { nil: undefined }),
      fc.array(toleration, { maxLength: 2 }),
    );
  })
  .chain(([containers, sources, initCount, volumeNames, envFromName, tolerations]) => {
    const [first, ...rest] = containers.map((item) => ({ ...item }) as Record<string, unknown>);
    const main = [first, ...rest.slice(initCount)].filter((item) => item !== undefined);
    const init = rest.slice(0, initCount).map(({ livenessProbe: _l, readinessProbe: _r, ...item }) => item);
    if (main[0] !== undefined) {
      main[0].volumeMounts = volumeNames.map((name) => ({ name, mountPath: `/mnt/${name}` }));
      if (envFromName !== undefined) main[0].envFrom = [{ configMapRef: { name: envFromName } }];
    }
    const volumes = volumeNames.map((name, position) => ({ name, ...sources[position] }));
    return fc.record(
      {
        containers: fc.constant(main),
        initContainers: fc.constant(init),
        volumes: fc.constant(volumes),
        tolerations: fc.constant(tolerations),
        restartPolicy: fc.constantFrom('Always', 'OnFailure', 'Never'),
        nodeSelector: labels,
        terminationGracePeriodSeconds: fc.nat({ max: 300 }),
      },
      // Volumes are required because the first container's mounts refer to them.
      { requiredKeys: ['containers', 'volumes'] },
    );
  });

const pod = fc.record({
  apiVersion: fc.constant('v1'),
  kind: fc.constant('Pod'),
  metadata: meta(true),
  spec: podSpec,
});

const workload = (kind: 'Deployment' | 'ReplicaSet') =>
  fc
    .tuple(meta(true), nonEmptyLabels, podSpec, fc.nat({ max: 50 }))
    .map(([metadata, selectorLabels, spec, replicas]) => ({
      apiVersion: 'apps/v1',
      kind,
      metadata,
      spec: {
        replicas,
        selector: { matchLabels: selectorLabels },
        template: { metadata: { labels: selectorLabels }, spec: { ...spec, restartPolicy: 'Always' } },
      },
    }));

const service = fc
  .tuple(
    meta(true),
    fc.uniqueArray(port, { minLength: 1, maxLength: 3 }),
    fc.constantFrom('ClusterIP', 'NodePort', 'LoadBalancer'),
    labels,
  )
  .map(([metadata, ports, type, selector]) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata,
    spec: {
      type,
      selector,
      ports: ports.map((number, position) => ({ name: `p${position}`, port: number, targetPort: number })),
    },
  }));

const configKey = fc.stringMatching(/^[A-Za-z0-9_][-._A-Za-z0-9]{0,10}$/);
const configMap = fc
  .tuple(meta(true), fc.dictionary(configKey, fc.string({ maxLength: 30 }), { maxKeys: 4 }))
  .map(([metadata, data]) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata,
    data,
  }));
const secret = fc
  .tuple(
    meta(true),
    fc.dictionary(configKey, fc.string({ maxLength: 30 }), { maxKeys: 4 }),
    fc.dictionary(configKey, fc.string({ maxLength: 10 }), { maxKeys: 2 }),
  )
  .map(([metadata, data, stringData]) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata,
    type: 'Opaque',
    data: Object.fromEntries(
      Object.entries(data).map(([key, value]) => [key, Buffer.from(value).toString('base64')]),
    ),
    stringData,
  }));
const namespace = fc
  .tuple(meta(false))
  .map(([metadata]) => ({ apiVersion: 'v1', kind: 'Namespace', metadata }));
const accessModes = fc.uniqueArray(fc.constantFrom('ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany'), {
  minLength: 1,
});
const claim = fc
  .tuple(meta(true), accessModes, fc.integer({ min: 1, max: 100 }))
  .map(([metadata, modes, size]) => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata,
    spec: { accessModes: modes, resources: { requests: { storage: `${size}Gi` } } },
  }));
const volume = fc
  .tuple(meta(false), accessModes, fc.integer({ min: 1, max: 100 }))
  .map(([metadata, modes, size]) => ({
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata,
    spec: { accessModes: modes, capacity: { storage: `${size}Gi` }, hostPath: { path: '/data' } },
  }));
const ingress = fc
  .tuple(meta(true), fc.array(fc.tuple(dnsLabel, dnsLabel, dnsLabel, port), { minLength: 1, maxLength: 3 }))
  .map(([metadata, rules]) => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata,
    spec: {
      rules: rules.map(([host, path, serviceName, number]) => ({
        host: `${host}.example.com`,
        http: {
          paths: [
            {
              path: `/${path}`,
              pathType: 'Prefix',
              backend: { service: { name: serviceName, port: { number } } },
            },
          ],
        },
      })),
    },
  }));
const hpa = fc
  .tuple(
    meta(true),
    dnsLabel,
    fc.integer({ min: 1, max: 10 }),
    fc.nat({ max: 10 }),
    fc.integer({ min: 1, max: 100 }),
  )
  .map(([metadata, target, min, extra, utilization]) => ({
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata,
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: target },
      minReplicas: min,
      maxReplicas: min + extra,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: utilization } },
        },
      ],
    },
  }));
const lease = fc
  .tuple(meta(true), dnsLabel, fc.integer({ min: 1, max: 60 }))
  .map(([metadata, holder, duration]) => ({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata,
    spec: { holderIdentity: holder, leaseDurationSeconds: duration, leaseTransitions: 0 },
  }));
const endpoints = fc
  .tuple(meta(true), fc.array(fc.tuple(fc.nat({ max: 255 }), fc.nat({ max: 255 })), { maxLength: 3 }), port)
  .map(([metadata, addresses, number]) => ({
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata,
    subsets: [
      { addresses: addresses.map(([a, b]) => ({ ip: `10.244.${a}.${b}` })), ports: [{ port: number }] },
    ],
  }));
const node = fc.tuple(meta(false), fc.nat({ max: 255 })).map(([metadata, subnet]) => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata,
  spec: { podCIDR: `10.244.${subnet}.0/24` },
  status: { capacity: { cpu: '2', memory: '4Gi', pods: '110' } },
}));

/** Any valid object of a served kind. */
export const validObject: fc.Arbitrary<KubeObject> = fc.oneof(
  pod,
  workload('Deployment'),
  workload('ReplicaSet'),
  service,
  configMap,
  secret,
  namespace,
  claim,
  volume,
  ingress,
  hpa,
  lease,
  endpoints,
  node,
) as fc.Arbitrary<KubeObject>;

type Key = string | number;

/** A mutation that makes an object invalid, and the field path its cause must name. */
export interface Mutation {
  description: string;
  /** Field path (Kubernetes notation) the resulting cause must name. */
  field: string;
  /** Where to write, as JSON keys. */
  path: Key[];
  /** The new value; a function computes it from the object; `undefined` deletes the key. */
  value: unknown;
}

function keys(dotted: string): Key[] {
  return dotted.split('.').flatMap((part) => {
    const match = /^([^[]*)((?:\[\d+\])*)$/.exec(part);
    const head = match?.[1] ?? part;
    const indices = [...(match?.[2] ?? '').matchAll(/\[(\d+)\]/g)].map((index) => Number(index[1]));
    return [head, ...indices];
  });
}

function mutation(description: string, field: string, where: string, value: unknown): Mutation {
  return { description, field, path: keys(where), value };
}

/** Reads a JSON value at a key path (undefined when absent). */
export function getPath(object: unknown, path: Key[]): unknown {
  return path.reduce<unknown>(
    (value, key) =>
      typeof value === 'object' && value !== null ? (value as Record<Key, unknown>)[key] : undefined,
    object,
  );
}

/** Writes (or deletes, for undefined) a JSON value at a key path, creating objects on the way. */
export function setPath(object: unknown, path: Key[], value: unknown): void {
  let cursor = object as Record<Key, unknown>;
  path.slice(0, -1).forEach((key) => {
    if (typeof cursor[key] !== 'object' || cursor[key] === null) cursor[key] = {};
    cursor = cursor[key] as Record<Key, unknown>;
  });
  const last = path[path.length - 1] as Key;
  if (value === undefined) delete cursor[last];
  else cursor[last] = value;
}

/** Applies a mutation to an object in place. */
export function applyMutation(object: unknown, change: Mutation): void {
  const value =
    typeof change.value === 'function' ? (change.value as (o: unknown) => unknown)(object) : change.value;
  setPath(object, change.path, value);
}

/** Targeted invalid mutations applicable to an object of its kind (generic ones included). */
export function mutationsFor(object: KubeObject): Mutation[] {
  const generic: Mutation[] = [
    mutation('bad name', 'metadata.name', 'metadata.name', 'Bad/Name'),
    mutation('bad label key', 'metadata.labels', 'metadata.labels', { 'bad key': 'x' }),
    mutation('bad label value', 'metadata.labels', 'metadata.labels', { ok: '-bad-' }),
    mutation('missing name', 'metadata.name', 'metadata.name', undefined),
  ];
  const podSpecMutations = (prefix: string): Mutation[] => [
    mutation('empty image', `${prefix}.containers[0].image`, `${prefix}.containers[0].image`, ''),
    mutation('bad container name', `${prefix}.containers[0].name`, `${prefix}.containers[0].name`, 'UPPER'),
    mutation('no containers', `${prefix}.containers`, `${prefix}.containers`, []),
    mutation(
      'duplicate container',
      `${prefix}.containers[1].name`,
      `${prefix}.containers[1]`,
      (o: unknown) => ({
        ...(getPath(o, keys(`${prefix}.containers[0]`)) as object),
      }),
    ),
    mutation('port 0', `${prefix}.containers[0].ports[0].containerPort`, `${prefix}.containers[0].ports`, [
      { containerPort: 0 },
    ]),
    mutation(
      'bad cpu',
      `${prefix}.containers[0].resources.requests[cpu]`,
      `${prefix}.containers[0].resources`,
      { requests: { cpu: 'lots' } },
    ),
    mutation(
      'negative grace',
      `${prefix}.terminationGracePeriodSeconds`,
      `${prefix}.terminationGracePeriodSeconds`,
      -1,
    ),
    mutation('bad dns policy', `${prefix}.dnsPolicy`, `${prefix}.dnsPolicy`, 'Google'),
    mutation('containers not a list', `${prefix}.containers`, `${prefix}.containers`, 'nginx'),
    mutation(
      'mount of a missing volume',
      `${prefix}.containers[0].volumeMounts[0].name`,
      `${prefix}.containers[0].volumeMounts`,
      [{ name: 'missing-vol', mountPath: '/x' }],
    ),
    mutation('two volume sources', `${prefix}.volumes[0].hostPath`, `${prefix}.volumes`, [
      { name: 'v', emptyDir: {}, hostPath: { path: '/x' } },
    ]),
    mutation('value with Exists', `${prefix}.tolerations[0].operator`, `${prefix}.tolerations`, [
      { key: 'a', operator: 'Exists', value: 'x' },
    ]),
    mutation(
      'envFrom without source',
      `${prefix}.containers[0].envFrom[0]`,
      `${prefix}.containers[0].envFrom`,
      [{}],
    ),
  ];
  switch (object.kind) {
    case 'Pod':
      return [
        ...generic,
        ...podSpecMutations('spec'),
        mutation('restart', 'spec.restartPolicy', 'spec.restartPolicy', 'Sometimes'),
      ];
    case 'Deployment':
    case 'ReplicaSet':
      return [
        ...generic,
        ...podSpecMutations('spec.template.spec'),
        mutation('negative replicas', 'spec.replicas', 'spec.replicas', -1),
        mutation('no selector', 'spec.selector', 'spec.selector', undefined),
        mutation('selector mismatch', 'spec.template.metadata.labels', 'spec.selector', {
          matchLabels: { 'navarch.io/never': 'there' },
        }),
        mutation(
          'restart never',
          'spec.template.spec.restartPolicy',
          'spec.template.spec.restartPolicy',
          'Never',
        ),
      ];
    case 'Service':
      return [
        ...generic,
        mutation('port 0', 'spec.ports[0].port', 'spec.ports[0].port', 0),
        mutation('type', 'spec.type', 'spec.type', 'Magic'),
        mutation('affinity', 'spec.sessionAffinity', 'spec.sessionAffinity', 'Sticky'),
        mutation('protocol', 'spec.ports[0].protocol', 'spec.ports[0].protocol', 'ICMP'),
        mutation('clusterIP', 'spec.clusterIP', 'spec.clusterIP', '999.1.1.1'),
      ];
    case 'ConfigMap':
      return [...generic, mutation('bad key', 'data[bad key]', 'data', { 'bad key': 'v' })];
    case 'Secret':
      return [
        ...generic,
        mutation('not base64', 'data[not-base64-value]', 'data', { 'not-base64-value': '%%%%' }),
      ];
    case 'Namespace':
      return [...generic, mutation('dotted', 'metadata.name', 'metadata.name', 'a.b')];
    case 'PersistentVolumeClaim':
      return [
        ...generic,
        mutation('access mode', 'spec.accessModes[0]', 'spec.accessModes', ['WriteSometimes']),
        mutation('storage', 'spec.resources.requests[storage]', 'spec.resources.requests.storage', '-1Gi'),
      ];
    case 'PersistentVolume':
      return [...generic, mutation('no capacity', 'spec.capacity', 'spec.capacity', undefined)];
    case 'Ingress':
      return [
        ...generic,
        mutation(
          'path type',
          'spec.rules[0].http.paths[0].pathType',
          'spec.rules[0].http.paths[0].pathType',
          'Fuzzy',
        ),
        mutation('host', 'spec.rules[0].host', 'spec.rules[0].host', 'Bad_Host'),
      ];
    case 'HorizontalPodAutoscaler':
      return [
        ...generic,
        mutation('max 0', 'spec.maxReplicas', 'spec.maxReplicas', 0),
        mutation('min 0', 'spec.minReplicas', 'spec.minReplicas', 0),
        mutation(
          'utilization',
          'spec.metrics[0].resource.target.averageUtilization',
          'spec.metrics[0].resource.target.averageUtilization',
          -5,
        ),
      ];
    case 'Lease':
      return [...generic, mutation('duration', 'spec.leaseDurationSeconds', 'spec.leaseDurationSeconds', 0)];
    case 'Endpoints':
      return [...generic, mutation('port', 'subsets[0].ports[0].port', 'subsets[0].ports[0].port', 0)];
    case 'Node':
      return [...generic, mutation('cidr', 'spec.podCIDR', 'spec.podCIDR', 'not-a-cidr')];
    default:
      return generic;
  }
}

/** Every JSON path (as key lists) inside a value, for random structural mutations. */
export function allPaths(value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (typeof value !== 'object' || value === null) return [];
  const entries: Array<[string | number, unknown]> = Array.isArray(value)
    ? value.map((item, position) => [position, item])
    : Object.entries(value as Record<string, unknown>);
  return entries.flatMap(([key, item]) => [[...prefix, key], ...allPaths(item, [...prefix, key])]);
}

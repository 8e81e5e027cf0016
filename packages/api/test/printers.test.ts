import {
  buildTable,
  type Deployment,
  type Event,
  formatAge,
  formatTable,
  type HorizontalPodAutoscaler,
  humanDuration,
  type Node,
  type Pod,
  type Service,
  tableCells,
  tableColumns,
} from '@navarch/api';
import { describe, expect, it } from 'vitest';

const NOW_MS = Date.parse('2026-03-01T12:00:00Z');
const ago = (seconds: number): string =>
  new Date(NOW_MS - seconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');

describe('ages like kubectl', () => {
  it.each([
    [0, '0s'],
    [5, '5s'],
    [119, '119s'],
    [120, '2m'],
    [200, '3m20s'],
    [599, '9m59s'],
    [600, '10m'],
    [179 * 60, '179m'],
    [3 * 3600, '3h'],
    [5 * 3600 + 3 * 60, '5h3m'],
    [8 * 3600, '8h'],
    [47 * 3600, '47h'],
    [2 * 86400 + 4 * 3600, '2d4h'],
    [3 * 86400, '3d'],
    [8 * 86400, '8d'],
    [400 * 86400, '400d'],
    [(2 * 365 + 30) * 86400, '2y30d'],
    [9 * 365 * 86400, '9y'],
  ])('%i s → %s', (seconds, text) => {
    expect(humanDuration(seconds * 1000)).toBe(text);
  });

  it('tolerates small clock skew and flags large skew', () => {
    expect(humanDuration(-1500)).toBe('0s');
    expect(humanDuration(-5000)).toBe('<invalid>');
    expect(formatAge(undefined, NOW_MS)).toBe('<unknown>');
    expect(formatAge(ago(200), NOW_MS)).toBe('3m20s');
  });
});

describe('pod table', () => {
  const pod: Pod = {
    kind: 'Pod',
    metadata: { name: 'web-1', namespace: 'default', creationTimestamp: ago(300) },
    spec: {
      nodeName: 'node-1',
      containers: [
        { name: 'a', image: 'x' },
        { name: 'b', image: 'y' },
      ],
    },
    status: {
      phase: 'Running',
      podIP: '10.244.1.5',
      containerStatuses: [
        {
          name: 'a',
          ready: true,
          restartCount: 2,
          image: 'x',
          imageID: '',
          state: { running: {} },
          lastState: { terminated: { exitCode: 1, finishedAt: ago(65) } },
        },
        {
          name: 'b',
          ready: false,
          restartCount: 0,
          image: 'y',
          imageID: '',
          state: { waiting: { reason: 'CrashLoopBackOff' } },
        },
      ],
    },
  };

  it('has kubectl columns, wide ones at priority 1', () => {
    expect(tableColumns('Pod').map((column) => [column.name, column.priority])).toEqual([
      ['Name', 0],
      ['Ready', 0],
      ['Status', 0],
      ['Restarts', 0],
      ['Age', 0],
      ['IP', 1],
      ['Node', 1],
      ['Nominated Node', 1],
      ['Readiness Gates', 1],
    ]);
    expect(tableColumns('Pod')[0]?.format).toBe('name');
  });

  it('derives READY, STATUS and RESTARTS like kubectl', () => {
    expect(tableCells(pod, NOW_MS)).toEqual([
      'web-1',
      '1/2',
      'CrashLoopBackOff',
      '2 (65s ago)',
      '5m',
      '10.244.1.5',
      'node-1',
      '<none>',
      '<none>',
    ]);
    const pending: Pod = { kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'a' }] } };
    expect(tableCells(pending, NOW_MS).slice(1, 4)).toEqual(['0/1', 'Pending', '0']);
    const terminating: Pod = { ...pod, metadata: { ...pod.metadata, deletionTimestamp: ago(1) } };
    expect(tableCells(terminating, NOW_MS)[2]).toBe('Terminating');
    const init: Pod = {
      kind: 'Pod',
      metadata: { name: 'i' },
      spec: { initContainers: [{ name: 'i1' }, { name: 'i2' }], containers: [{ name: 'a' }] },
      status: {
        phase: 'Pending',
        initContainerStatuses: [
          {
            name: 'i1',
            ready: false,
            restartCount: 0,
            image: '',
            imageID: '',
            state: { terminated: { exitCode: 0 } },
          },
          { name: 'i2', ready: false, restartCount: 0, image: '', imageID: '', state: { running: {} } },
        ],
      },
    };
    expect(tableCells(init, NOW_MS)[2]).toBe('Init:1/2');
    const completed: Pod = {
      kind: 'Pod',
      metadata: { name: 'c' },
      spec: { containers: [{ name: 'a' }] },
      status: {
        phase: 'Succeeded',
        containerStatuses: [
          {
            name: 'a',
            ready: false,
            restartCount: 0,
            image: '',
            imageID: '',
            state: { terminated: { exitCode: 0, reason: 'Completed' } },
          },
        ],
      },
    };
    expect(tableCells(completed, NOW_MS)[2]).toBe('Completed');
  });

  it('renders text like kubectl, with wide and namespace columns', () => {
    const table = buildTable('Pod', [pod], { nowMs: NOW_MS });
    expect(table.rows[0]?.object).toEqual({
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1',
      metadata: pod.metadata,
    });
    expect(formatTable(table)).toBe(
      'NAME    READY   STATUS             RESTARTS      AGE\n' +
        'web-1   1/2     CrashLoopBackOff   2 (65s ago)   5m\n',
    );
    const wide = formatTable(table, { wide: true, namespaceColumn: true });
    expect(wide.split('\n')[0]).toBe(
      'NAMESPACE   NAME    READY   STATUS             RESTARTS      AGE   IP           NODE     NOMINATED NODE   READINESS GATES',
    );
    expect(formatTable(table, { noHeaders: true })).toBe(
      'web-1   1/2   CrashLoopBackOff   2 (65s ago)   5m\n',
    );
  });
});

describe('other kinds', () => {
  it('prints deployments with wide containers, images and selector', () => {
    const deployment: Deployment = {
      kind: 'Deployment',
      metadata: { name: 'web', creationTimestamp: ago(3 * 86400) },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web' } },
        template: {
          spec: {
            containers: [
              { name: 'app', image: 'web:1' },
              { name: 'side', image: 'proxy:2' },
            ],
          },
        },
      },
      status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
    };
    expect(tableColumns('Deployment').map((column) => column.name)).toEqual([
      'Name',
      'Ready',
      'Up-to-date',
      'Available',
      'Age',
      'Containers',
      'Images',
      'Selector',
    ]);
    expect(tableCells(deployment, NOW_MS)).toEqual([
      'web',
      '2/3',
      3,
      2,
      '3d',
      'app,side',
      'web:1,proxy:2',
      'app=web',
    ]);
  });

  it('prints services with type-dependent external IP and ports', () => {
    const service: Service = {
      kind: 'Service',
      metadata: { name: 'web', creationTimestamp: ago(10) },
      spec: {
        type: 'NodePort',
        clusterIP: '10.96.0.12',
        selector: { app: 'web' },
        ports: [
          { port: 80, nodePort: 30080, protocol: 'TCP' },
          { port: 53, protocol: 'UDP' },
        ],
      },
    };
    expect(tableCells(service, NOW_MS)).toEqual([
      'web',
      'NodePort',
      '10.96.0.12',
      '<none>',
      '80:30080/TCP,53/UDP',
      '10s',
      'app=web',
    ]);
    const balancer: Service = {
      kind: 'Service',
      metadata: { name: 'lb' },
      spec: { type: 'LoadBalancer', clusterIP: '10.96.0.13', ports: [{ port: 443 }] },
    };
    expect(tableCells(balancer, NOW_MS).slice(3, 5)).toEqual(['<pending>', '443/TCP']);
  });

  it('prints nodes, events, HPAs, endpoints, secrets', () => {
    const node: Node = {
      kind: 'Node',
      metadata: {
        name: 'n1',
        labels: { 'node-role.kubernetes.io/control-plane': '' },
        creationTimestamp: ago(60),
      },
      spec: { unschedulable: true },
      status: {
        conditions: [{ type: 'Ready', status: 'True' }],
        addresses: [{ type: 'InternalIP', address: '172.18.0.2' }],
      },
    };
    expect(tableCells(node, NOW_MS).slice(0, 6)).toEqual([
      'n1',
      'Ready,SchedulingDisabled',
      'control-plane',
      '60s',
      '',
      '172.18.0.2',
    ]);
    const event: Event = {
      kind: 'Event',
      metadata: { name: 'web-1.abc', namespace: 'default' },
      involvedObject: { kind: 'Pod', name: 'web-1' },
      reason: 'Scheduled',
      message: 'Successfully assigned default/web-1 to n1',
      type: 'Normal',
      lastTimestamp: ago(30),
      count: 1,
      source: { component: 'default-scheduler' },
    };
    expect(tableCells(event, NOW_MS).slice(0, 4)).toEqual(['30s', 'Normal', 'Scheduled', 'pod/web-1']);
    const hpa: HorizontalPodAutoscaler = {
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'h' },
      spec: {
        scaleTargetRef: { kind: 'Deployment', name: 'my-api' },
        minReplicas: 2,
        maxReplicas: 10,
        metrics: [
          {
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
          },
        ],
      },
      status: { desiredReplicas: 2, currentReplicas: 2 },
    };
    expect(tableCells(hpa, NOW_MS).slice(0, 6)).toEqual([
      'h',
      'Deployment/my-api',
      'cpu: <unknown>/70%',
      '2',
      10,
      2,
    ]);
    const endpoints = {
      kind: 'Endpoints',
      metadata: { name: 'web' },
      subsets: [{ addresses: [1, 2, 3, 4].map((n) => ({ ip: `10.0.0.${n}` })), ports: [{ port: 80 }] }],
    };
    expect(tableCells(endpoints, NOW_MS)[1]).toBe('10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 1 more...');
    expect(
      tableCells({ kind: 'Secret', metadata: { name: 's' }, data: { a: '', b: '' } } as never, NOW_MS).slice(
        0,
        3,
      ),
    ).toEqual(['s', 'Opaque', 2]);
    expect(tableColumns('Widget').map((column) => column.name)).toEqual(['Name', 'Age']);
  });
});

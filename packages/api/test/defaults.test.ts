import {
  applyDefaults,
  compareQuantities,
  type Deployment,
  defaultImagePullPolicy,
  type HorizontalPodAutoscaler,
  type Namespace,
  type Pod,
  podQOSClass,
  type Secret,
  type Service,
} from '@navarch/api';
import { describe, expect, it } from 'vitest';

describe('defaulting', () => {
  it('defaults a Pod like SetDefaults_Pod/PodSpec/Container', () => {
    const pod: Pod = {
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: {
        containers: [
          {
            name: 'app',
            image: 'nginx:alpine',
            ports: [{ containerPort: 80 }],
            resources: { limits: { cpu: '250m', memory: '128Mi' }, requests: { memory: '64Mi' } },
            livenessProbe: { httpGet: { port: 80 } },
            env: [{ name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
          },
        ],
        volumes: [{ name: 'scratch' }, { name: 'cfg', configMap: { name: 'c' } }],
      },
    };
    const defaulted = applyDefaults(pod);
    expect(defaulted.spec).toMatchObject({
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      schedulerName: 'default-scheduler',
      terminationGracePeriodSeconds: 30,
      enableServiceLinks: true,
      securityContext: {},
    });
    const container = defaulted.spec?.containers[0];
    expect(container).toMatchObject({
      imagePullPolicy: 'IfNotPresent',
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      ports: [{ containerPort: 80, protocol: 'TCP' }],
      // Missing requests are copied from limits; explicit ones are kept.
      resources: { limits: { cpu: '250m', memory: '128Mi' }, requests: { cpu: '250m', memory: '64Mi' } },
      livenessProbe: {
        httpGet: { port: 80, path: '/', scheme: 'HTTP' },
        timeoutSeconds: 1,
        periodSeconds: 10,
        successThreshold: 1,
        failureThreshold: 3,
      },
    });
    expect(container?.env?.[0]?.valueFrom?.fieldRef?.apiVersion).toBe('v1');
    expect(defaulted.spec?.volumes?.[0]).toEqual({ name: 'scratch', emptyDir: {} });
    expect(defaulted.spec?.volumes?.[1]?.configMap?.defaultMode).toBe(0o644);
    // Pure: the input is untouched.
    expect(pod.spec?.restartPolicy).toBeUndefined();
    expect(pod.spec?.containers[0]?.resources?.requests).toEqual({ memory: '64Mi' });
  });

  it.each([
    ['nginx', 'Always'],
    ['nginx:latest', 'Always'],
    ['nginx:alpine', 'IfNotPresent'],
    ['myapp:1.0', 'IfNotPresent'],
    ['registry.local:5000/app', 'Always'],
    ['registry.local:5000/app:v2', 'IfNotPresent'],
    ['app@sha256:abc', 'IfNotPresent'],
  ])('imagePullPolicy for %s is %s', (image, policy) => {
    expect(defaultImagePullPolicy(image)).toBe(policy);
  });

  it('defaults a Deployment and its template', () => {
    const deployment: Deployment = {
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: {
        selector: { matchLabels: { app: 'd' } },
        template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'x:1' }] } },
      },
    };
    const defaulted = applyDefaults(deployment);
    expect(defaulted.spec).toMatchObject({
      replicas: 1,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    });
    expect(defaulted.spec?.template.spec?.restartPolicy).toBe('Always');
    expect(defaulted.spec?.template.spec?.containers[0]?.imagePullPolicy).toBe('IfNotPresent');
    const recreate = applyDefaults({
      ...deployment,
      spec: { ...deployment.spec!, strategy: { type: 'Recreate' } },
    });
    expect(recreate.spec?.strategy).toEqual({ type: 'Recreate' });
  });

  it('defaults a Service: ClusterIP, None affinity, TCP, targetPort = port', () => {
    const service: Service = {
      kind: 'Service',
      metadata: { name: 's' },
      spec: { ports: [{ port: 80 }, { port: 81, targetPort: 'http' }] },
    };
    const spec = applyDefaults(service).spec;
    expect(spec).toMatchObject({
      type: 'ClusterIP',
      sessionAffinity: 'None',
      internalTrafficPolicy: 'Cluster',
      ipFamilyPolicy: 'SingleStack',
      ipFamilies: ['IPv4'],
    });
    expect(spec?.ports).toEqual([
      { port: 80, protocol: 'TCP', targetPort: 80 },
      { port: 81, protocol: 'TCP', targetPort: 'http' },
    ]);
    const nodePort = applyDefaults<Service>({
      kind: 'Service',
      metadata: { name: 's' },
      spec: { type: 'NodePort', sessionAffinity: 'ClientIP' },
    });
    expect(nodePort.spec?.externalTrafficPolicy).toBe('Cluster');
    expect(nodePort.spec?.sessionAffinityConfig?.clientIP?.timeoutSeconds).toBe(10800);
  });

  it('folds Secret stringData into base64 data and sets type Opaque', () => {
    const secret: Secret = {
      kind: 'Secret',
      metadata: { name: 's' },
      data: { A: 'eA==' },
      stringData: { B: 'supersecret123', A: 'y' },
    };
    const defaulted = applyDefaults(secret);
    expect(defaulted.type).toBe('Opaque');
    expect(defaulted.stringData).toBeUndefined();
    expect(defaulted.data).toEqual({ A: 'eQ==', B: Buffer.from('supersecret123').toString('base64') });
  });

  it('defaults Namespace, PVC, PV, HPA and ReplicaSet', () => {
    const namespace = applyDefaults<Namespace>({ kind: 'Namespace', metadata: { name: 'team-a' } });
    expect(namespace.spec?.finalizers).toEqual(['kubernetes']);
    expect(namespace.status?.phase).toBe('Active');
    expect(namespace.metadata.labels?.['kubernetes.io/metadata.name']).toBe('team-a');
    const claim = applyDefaults({
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'c' },
      spec: {},
    } as never) as {
      spec: { volumeMode: string };
    };
    expect(claim.spec.volumeMode).toBe('Filesystem');
    const volume = applyDefaults({
      kind: 'PersistentVolume',
      metadata: { name: 'v' },
      spec: {},
    } as never) as {
      spec: { persistentVolumeReclaimPolicy: string };
    };
    expect(volume.spec.persistentVolumeReclaimPolicy).toBe('Retain');
    const hpa = applyDefaults<HorizontalPodAutoscaler>({
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'h' },
      spec: {
        scaleTargetRef: { kind: 'Deployment', name: 'd' },
        maxReplicas: 3,
        behavior: { scaleDown: { selectPolicy: 'Min' } },
      },
    });
    expect(hpa.spec?.minReplicas).toBe(1);
    expect(hpa.spec?.metrics).toEqual([
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
      },
    ]);
    expect(hpa.spec?.behavior?.scaleDown).toEqual({
      selectPolicy: 'Min',
      stabilizationWindowSeconds: 300,
      policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
    });
    expect(hpa.spec?.behavior?.scaleUp?.policies).toHaveLength(2);
    const replicaSet = applyDefaults({
      kind: 'ReplicaSet',
      metadata: { name: 'r' },
      spec: { selector: {} },
    } as never) as {
      spec: { replicas: number };
    };
    expect(replicaSet.spec.replicas).toBe(1);
  });

  it('computes the QoS class', () => {
    const guaranteed = { containers: [{ name: 'a', resources: { limits: { cpu: '1', memory: '1Gi' } } }] };
    const burstable = { containers: [{ name: 'a', resources: { requests: { cpu: '100m' } } }] };
    expect(podQOSClass(guaranteed, compareQuantities)).toBe('Guaranteed');
    expect(podQOSClass(burstable, compareQuantities)).toBe('Burstable');
    expect(podQOSClass({ containers: [{ name: 'a' }] }, compareQuantities)).toBe('BestEffort');
  });
});

import {
  applyDefaults,
  type ConfigMap,
  causeText,
  type Deployment,
  type PersistentVolumeClaim,
  type Pod,
  type Secret,
  type Service,
  type StatusCause,
  validateObject,
  validateObjectUpdate,
} from '@navarch/api';
import { describe, expect, it } from 'vitest';

function deployment(overrides: Record<string, unknown> = {}): Deployment {
  return applyDefaults({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'app', image: 'web:1', ports: [{ containerPort: 8080 }] }] },
      },
      ...overrides,
    },
  } as Deployment);
}

function pod(spec: Record<string, unknown> = {}, name = 'p'): Pod {
  return applyDefaults({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { containers: [{ name: 'app', image: 'busybox:1' }], ...spec },
  } as Pod);
}

function texts(causes: StatusCause[]): string[] {
  return causes.map(causeText);
}

describe('validation on create', () => {
  it('accepts a valid deployment', () => {
    expect(validateObject(deployment())).toEqual([]);
  });

  it('reports negative replicas with Kubernetes wording', () => {
    expect(validateObject(deployment({ replicas: -1 }))).toEqual([
      {
        type: 'FieldValueInvalid',
        field: 'spec.replicas',
        message: 'Invalid value: -1: must be greater than or equal to 0',
      },
    ]);
  });

  it('requires the selector and that it matches the template labels', () => {
    const missing = structuredClone(deployment()) as { spec: { selector?: unknown } };
    delete missing.spec.selector;
    expect(texts(validateObject(missing))).toContain('spec.selector: Required value');
    expect(texts(validateObject(deployment({ selector: { matchLabels: { app: 'other' } } })))).toEqual([
      'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
    ]);
    expect(texts(validateObject(deployment({ selector: {} })))[0]).toMatch(
      /^spec.selector: Invalid value: .*empty selector is invalid for deployment$/,
    );
  });

  it('requires containers and images with full field paths', () => {
    const noImage = deployment();
    delete noImage.spec!.template.spec!.containers[0]!.image;
    expect(validateObject(noImage)).toEqual([
      {
        type: 'FieldValueRequired',
        field: 'spec.template.spec.containers[0].image',
        message: 'Required value',
      },
    ]);
    const noContainers = pod({ containers: [] });
    expect(texts(validateObject(noContainers))).toEqual(['spec.containers: Required value']);
  });

  it('rejects duplicate container names and out-of-range ports', () => {
    const causes = validateObject(
      pod({
        containers: [
          { name: 'a', image: 'x', ports: [{ containerPort: 0 }] },
          { name: 'a', image: 'y', ports: [{ containerPort: 70000 }] },
        ],
      }),
    );
    expect(texts(causes)).toEqual([
      'spec.containers[0].ports[0].containerPort: Invalid value: 0: must be between 1 and 65535, inclusive',
      'spec.containers[1].name: Duplicate value: "a"',
      'spec.containers[1].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
    ]);
    expect(causes[1]?.type).toBe('FieldValueDuplicate');
  });

  it('checks names per kind: subdomain for pods, DNS-1035 label for services, label for namespaces', () => {
    expect(validateObject(pod({}, 'a.b'))).toEqual([]);
    expect(texts(validateObject(pod({}, 'Bad_Name')))[0]).toMatch(
      /^metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of/,
    );
    const service = (name: string): Service =>
      applyDefaults({
        kind: 'Service',
        metadata: { name, namespace: 'default' },
        spec: { ports: [{ port: 80 }] },
      } as Service);
    expect(validateObject(service('web'))).toEqual([]);
    expect(texts(validateObject(service('1web')))[0]).toMatch(
      /^metadata.name: Invalid value: "1web": a DNS-1035 label/,
    );
    expect(texts(validateObject({ kind: 'Namespace', metadata: { name: 'a.b' } }))[0]).toMatch(
      /RFC 1123 label/,
    );
    expect(texts(validateObject({ kind: 'Namespace', metadata: { name: 'x', namespace: 'y' } }))).toEqual([
      'metadata.namespace: Forbidden: not allowed on this type',
    ]);
  });

  it('accepts generateName prefixes with a trailing dash and requires a name or one', () => {
    expect(validateObject({ ...pod(), metadata: { generateName: 'web-', namespace: 'default' } })).toEqual(
      [],
    );
    expect(texts(validateObject({ ...pod(), metadata: { namespace: 'default' } }))).toEqual([
      'metadata.name: Required value: name or generateName is required',
    ]);
  });

  it('validates labels, annotation keys and the annotation size limit', () => {
    const labelled = pod();
    labelled.metadata.labels = { 'bad key': 'v', ok: 'not valid!' };
    expect(validateObject(labelled).map((cause) => cause.field)).toEqual([
      'metadata.labels',
      'metadata.labels',
    ]);
    const annotated = pod();
    annotated.metadata.annotations = { big: 'x'.repeat(256 * 1024) };
    expect(validateObject(annotated)).toEqual([
      {
        type: 'FieldValueTooLong',
        field: 'metadata.annotations',
        message: 'Too long: may not be more than 262144 bytes',
      },
    ]);
  });

  it('validates quantities and requests ≤ limits', () => {
    const causes = validateObject(
      pod({
        containers: [
          {
            name: 'a',
            image: 'x',
            resources: { requests: { cpu: '2', memory: 'lots' }, limits: { cpu: '1' } },
          },
        ],
      }),
    );
    expect(texts(causes)).toEqual([
      'spec.containers[0].resources.requests[memory]: Invalid value: "lots": must match the regular expression \'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$\'',
      'spec.containers[0].resources.requests[cpu]: Invalid value: "2": must be less than or equal to cpu limit of 1',
    ]);
  });

  it('uses NotSupported for enumerations and restricts template restart policy', () => {
    expect(validateObject(pod({ restartPolicy: 'Sometimes' }))).toEqual([
      {
        type: 'FieldValueNotSupported',
        field: 'spec.restartPolicy',
        message: 'Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
      },
    ]);
    const never = deployment();
    never.spec!.template.spec!.restartPolicy = 'Never';
    expect(texts(validateObject(never))).toEqual([
      'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
    ]);
  });

  it('checks rolling update parameters', () => {
    expect(
      texts(
        validateObject(
          deployment({
            strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } },
          }),
        ),
      ),
    ).toEqual([
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0',
    ]);
    expect(
      texts(
        validateObject(
          deployment({
            strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '150%', maxUnavailable: 1 } },
          }),
        ),
      ),
    ).toEqual(['spec.strategy.rollingUpdate.maxSurge: Invalid value: "150%": must not be greater than 100%']);
  });

  it('validates service ports, nodePort use and selectors', () => {
    const service = applyDefaults({
      kind: 'Service',
      metadata: { name: 's', namespace: 'default' },
      spec: {
        ports: [
          { port: 80, nodePort: 30080 },
          { port: 80, name: 'b' },
        ],
      },
    } as Service);
    expect(texts(validateObject(service))).toEqual([
      'spec.ports[0].name: Required value',
      "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'",
      'spec.ports[1]: Duplicate value: {"port":80,"protocol":"TCP"}',
    ]);
  });

  it('validates selectors inside matchExpressions', () => {
    const bad = deployment({
      selector: {
        matchLabels: { app: 'web' },
        matchExpressions: [{ key: 'tier', operator: 'In', values: [] }],
      },
    });
    expect(texts(validateObject(bad))).toEqual([
      "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
    ]);
  });

  it('validates secrets, configmaps, PVCs, ingresses and HPAs', () => {
    expect(
      texts(
        validateObject({
          kind: 'Secret',
          metadata: { name: 's', namespace: 'd' },
          data: { 'a b': 'eA==', c: '%%%' },
        }),
      ),
    ).toEqual([
      "data[a b]: Invalid value: \"a b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
      'data[c]: Invalid value: "<secret contents redacted>": must be base64-encoded',
    ]);
    expect(
      texts(
        validateObject({ kind: 'PersistentVolumeClaim', metadata: { name: 'c', namespace: 'd' }, spec: {} }),
      ),
    ).toEqual([
      'spec.accessModes: Required value: at least 1 access mode is required',
      'spec.resources.requests[storage]: Required value',
    ]);
    const ingress = {
      kind: 'Ingress',
      metadata: { name: 'i', namespace: 'd' },
      spec: {
        rules: [
          {
            host: '10.0.0.1',
            http: {
              paths: [
                {
                  path: 'users',
                  pathType: 'Prefix',
                  backend: { service: { name: 'svc', port: { number: 80, name: 'http' } } },
                },
              ],
            },
          },
        ],
      },
    };
    expect(texts(validateObject(ingress))).toEqual([
      'spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address',
      'spec.rules[0].http.paths[0].path: Invalid value: "users": must be an absolute path',
      'spec.rules[0].http.paths[0].backend.service.port: Invalid value: {"number":80,"name":"http"}: cannot set both port name & port number',
    ]);
    const hpa = {
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'h', namespace: 'd' },
      spec: { scaleTargetRef: { kind: 'Deployment', name: 'd' }, minReplicas: 5, maxReplicas: 2 },
    };
    expect(texts(validateObject(hpa))).toEqual([
      'spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`',
    ]);
  });

  it('reports wrong JSON types instead of crashing', () => {
    const causes = validateObject({
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'd' },
      spec: { containers: 'nginx' },
    });
    expect(causes.map((cause) => [cause.type, cause.field])).toEqual([
      ['FieldValueTypeInvalid', 'spec.containers'],
    ]);
    expect(validateObject({ kind: 'Pod', metadata: 'x' })[0]?.field).toBe('metadata');
    expect(validateObject({ kind: 'Widget', metadata: {} })[0]?.type).toBe('FieldValueNotSupported');
    expect(validateObject(null)[0]?.field).toBe('kind');
  });
});

describe('validation on update', () => {
  it('keeps the deployment selector immutable', () => {
    const previous = deployment();
    const next = deployment({ selector: { matchLabels: { app: 'web', tier: 'x' } } });
    next.spec!.template.metadata!.labels = { app: 'web', tier: 'x' };
    expect(texts(validateObjectUpdate(next, previous))).toEqual([
      'spec.selector: Invalid value: {"matchLabels":{"app":"web","tier":"x"}}: field is immutable',
    ]);
    expect(validateObjectUpdate(deployment({ replicas: 5 }), previous)).toEqual([]);
  });

  it('keeps name, namespace and uid immutable', () => {
    const previous = pod();
    previous.metadata.uid = 'u1';
    const next = structuredClone(previous);
    next.metadata.uid = 'u2';
    expect(texts(validateObjectUpdate(next, previous))).toEqual([
      'metadata.uid: Invalid value: "u2": field is immutable',
    ]);
  });

  it('only lets pods change images, activeDeadlineSeconds and add tolerations', () => {
    const previous = pod({ activeDeadlineSeconds: 100, tolerations: [{ key: 'a', operator: 'Exists' }] });
    const image = structuredClone(previous);
    image.spec!.containers[0]!.image = 'busybox:2';
    image.spec!.activeDeadlineSeconds = 50;
    image.spec!.tolerations!.push({ key: 'b', operator: 'Exists' });
    expect(validateObjectUpdate(image, previous)).toEqual([]);
    const other = structuredClone(previous);
    other.spec!.containers[0]!.command = ['sh'];
    const causes = validateObjectUpdate(other, previous);
    expect(causes).toHaveLength(1);
    expect(causes[0]).toMatchObject({ type: 'FieldValueForbidden', field: 'spec' });
    expect(causes[0]?.message).toMatch(
      /^Forbidden: pod updates may not change fields other than `spec.containers\[\*\].image`/,
    );
    const longer = structuredClone(previous);
    longer.spec!.activeDeadlineSeconds = 200;
    expect(texts(validateObjectUpdate(longer, previous))).toEqual([
      'spec.activeDeadlineSeconds: Invalid value: 200: must be less than or equal to previous value',
    ]);
    const removed = structuredClone(previous);
    removed.spec!.tolerations = [];
    expect(validateObjectUpdate(removed, previous).map((cause) => cause.field)).toContain('spec.tolerations');
  });

  it('keeps a service clusterIP once allocated', () => {
    const previous = applyDefaults({
      kind: 'Service',
      metadata: { name: 's', namespace: 'd' },
      spec: { clusterIP: '10.96.0.10', ports: [{ port: 80 }] },
    } as Service);
    const next = structuredClone(previous);
    next.spec!.clusterIP = '10.96.0.11';
    expect(texts(validateObjectUpdate(next, previous))).toEqual([
      'spec.clusterIP: Invalid value: "10.96.0.11": field is immutable',
    ]);
  });

  it('freezes immutable configmaps and secrets', () => {
    const previous: ConfigMap = {
      kind: 'ConfigMap',
      metadata: { name: 'c', namespace: 'd' },
      data: { a: '1' },
      immutable: true,
    };
    expect(texts(validateObjectUpdate({ ...previous, data: { a: '2' } }, previous))).toEqual([
      'data: Forbidden: field is immutable when `immutable` is set',
    ]);
    expect(texts(validateObjectUpdate({ ...previous, immutable: false }, previous))).toEqual([
      'immutable: Forbidden: field is immutable when `immutable` is set',
    ]);
    const secret: Secret = {
      kind: 'Secret',
      metadata: { name: 's', namespace: 'd' },
      type: 'Opaque',
      data: {},
    };
    expect(
      texts(
        validateObjectUpdate(
          { ...secret, type: 'kubernetes.io/basic-auth', data: { username: 'dQ==' } },
          secret,
        ),
      ),
    ).toEqual(['type: Invalid value: "kubernetes.io/basic-auth": field is immutable']);
  });

  it('lets PVCs change only storage requests, and never shrink them', () => {
    const previous = applyDefaults({
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'c', namespace: 'd' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } },
    } as PersistentVolumeClaim);
    const grown = structuredClone(previous);
    grown.spec!.resources!.requests!.storage = '20Gi';
    expect(validateObjectUpdate(grown, previous)).toEqual([]);
    const shrunk = structuredClone(previous);
    shrunk.spec!.resources!.requests!.storage = '5Gi';
    expect(texts(validateObjectUpdate(shrunk, previous))).toEqual([
      'spec.resources.requests.storage: Forbidden: field can not be less than previous value',
    ]);
    const modes = structuredClone(previous);
    modes.spec!.accessModes = ['ReadWriteMany'];
    expect(validateObjectUpdate(modes, previous)[0]).toMatchObject({
      type: 'FieldValueForbidden',
      field: 'spec',
    });
  });
});

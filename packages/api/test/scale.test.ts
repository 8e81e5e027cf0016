import { applyDefaults, type Deployment, scaleOf, validateScaleReplicas, withScale } from '@navarch/api';
import { describe, expect, it } from 'vitest';

describe('scale subresource', () => {
  const deployment = applyDefaults<Deployment>({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', uid: 'u1', resourceVersion: '7', labels: { a: 'b' } },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'Exists' }] },
      template: {
        metadata: { labels: { app: 'web', tier: 'x' } },
        spec: { containers: [{ name: 'c', image: 'i:1' }] },
      },
    },
    status: { replicas: 2 },
  });

  it('reads replicas and the selector string', () => {
    expect(scaleOf(deployment)).toEqual({
      apiVersion: 'autoscaling/v1',
      kind: 'Scale',
      metadata: { name: 'web', namespace: 'default', uid: 'u1', resourceVersion: '7' },
      spec: { replicas: 3 },
      status: { replicas: 2, selector: 'app=web,tier' },
    });
  });

  it('writes back only spec.replicas, without mutating the input', () => {
    const scaled = withScale(deployment, { metadata: {}, spec: { replicas: 5 } });
    expect(scaled.spec?.replicas).toBe(5);
    expect(deployment.spec?.replicas).toBe(3);
    expect({ ...scaled, spec: { ...scaled.spec, replicas: 3 } }).toEqual(deployment);
  });

  it('rejects negative replicas', () => {
    expect(validateScaleReplicas(-1).causes).toEqual([
      {
        type: 'FieldValueInvalid',
        field: 'spec.replicas',
        message: 'Invalid value: -1: must be greater than or equal to 0',
      },
    ]);
    expect(validateScaleReplicas(4).causes).toEqual([]);
  });
});

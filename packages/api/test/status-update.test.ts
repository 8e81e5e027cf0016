import { causeText, type Deployment, type Pod, validateStatusUpdate } from '@navarch/api';
import { describe, expect, it } from 'vitest';

const pod: Pod = {
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'd', uid: 'u' },
  spec: { containers: [{ name: 'app', image: 'x' }] },
  status: { phase: 'Pending' },
};

describe('status subresource validation', () => {
  it('accepts a well-formed pod status report', () => {
    const next: Pod = {
      ...pod,
      status: {
        phase: 'Running',
        podIP: '10.244.1.4',
        conditions: [{ type: 'Ready', status: 'True' }],
        containerStatuses: [{ name: 'app', ready: true, restartCount: 0, image: 'x', imageID: '' }],
      },
    };
    expect(validateStatusUpdate(next, pod)).toEqual([]);
  });

  it('rejects bad phases, conditions, IPs, unknown containers and leaving a terminal phase', () => {
    const next = {
      ...pod,
      status: {
        phase: 'Sleeping',
        podIP: 'nope',
        conditions: [{ type: 'Ready', status: 'Maybe' }],
        containerStatuses: [{ name: 'ghost', ready: true, restartCount: -1, image: 'x', imageID: '' }],
      },
    };
    expect(validateStatusUpdate(next, pod).map(causeText)).toEqual([
      'status.phase: Unsupported value: "Sleeping": supported values: "Pending", "Running", "Succeeded", "Failed", "Unknown"',
      'status.conditions[0].status: Unsupported value: "Maybe": supported values: "True", "False", "Unknown"',
      'status.podIP: Invalid value: "nope": must be a valid IP address',
      'status.containerStatuses[0].name: Not found: "ghost"',
      'status.containerStatuses[0].restartCount: Invalid value: -1: must be greater than or equal to 0',
    ]);
    const done: Pod = { ...pod, status: { phase: 'Succeeded' } };
    expect(validateStatusUpdate({ ...pod, status: { phase: 'Running' } }, done).map(causeText)).toEqual([
      'status.phase: Forbidden: may not transition from terminal phase Succeeded',
    ]);
    expect(
      validateStatusUpdate({ ...pod, metadata: { ...pod.metadata, uid: 'other' } }, pod).map(causeText),
    ).toEqual(['metadata.uid: Invalid value: "other": field is immutable']);
  });

  it('checks replica counts of workloads', () => {
    const deployment: Deployment = {
      kind: 'Deployment',
      metadata: { name: 'd', namespace: 'n' },
      spec: { selector: { matchLabels: { a: 'b' } }, template: {} },
    };
    const next: Deployment = {
      ...deployment,
      status: { replicas: 2, readyReplicas: 3, availableReplicas: 1, updatedReplicas: -1 },
    };
    expect(validateStatusUpdate(next, deployment).map(causeText)).toEqual([
      'status.updatedReplicas: Invalid value: -1: must be greater than or equal to 0',
      'status.readyReplicas: Invalid value: 3: cannot be greater than status.replicas',
    ]);
    expect(validateStatusUpdate('x', deployment)[0]?.type).toBe('FieldValueTypeInvalid');
  });
});

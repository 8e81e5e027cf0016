import {
  alreadyExistsStatus,
  conflictStatus,
  expiredStatus,
  internalErrorStatus,
  invalidStatus,
  lookupResource,
  notFoundStatus,
} from '@navarch/api';
import { describe, expect, it } from 'vitest';

describe('Status builders', () => {
  it('words a single-cause 422 exactly like Kubernetes', () => {
    const status = invalidStatus({ group: 'apps', kind: 'Deployment' }, 'x', [
      {
        type: 'FieldValueInvalid',
        field: 'spec.replicas',
        message: 'Invalid value: -1: must be greater than or equal to 0',
      },
    ]);
    expect(status).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'Deployment.apps "x" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0',
      reason: 'Invalid',
      details: {
        name: 'x',
        group: 'apps',
        kind: 'Deployment',
        causes: [
          {
            type: 'FieldValueInvalid',
            field: 'spec.replicas',
            message: 'Invalid value: -1: must be greater than or equal to 0',
          },
        ],
      },
      code: 422,
    });
  });

  it('brackets several causes, omits the core group, and drops duplicate texts', () => {
    const cause = {
      type: 'FieldValueRequired' as const,
      field: 'spec.containers',
      message: 'Required value',
    };
    const status = invalidStatus({ group: '', kind: 'Pod' }, 'p', [
      cause,
      cause,
      { type: 'FieldValueRequired', field: 'metadata.namespace', message: 'Required value' },
    ]);
    expect(status.message).toBe(
      'Pod "p" is invalid: [spec.containers: Required value, metadata.namespace: Required value]',
    );
    expect(status.details?.causes).toHaveLength(3);
  });

  it('words NotFound, AlreadyExists, Conflict, Expired and InternalError like Kubernetes', () => {
    const deployments = lookupResource('deployments')!;
    const pods = lookupResource('pods')!;
    expect(notFoundStatus(pods, 'x')).toMatchObject({
      code: 404,
      reason: 'NotFound',
      message: 'pods "x" not found',
      details: { kind: 'pods', group: '' },
    });
    expect(alreadyExistsStatus(deployments, 'x')).toMatchObject({
      code: 409,
      reason: 'AlreadyExists',
      message: 'deployments.apps "x" already exists',
    });
    expect(conflictStatus(deployments, 'x').message).toBe(
      'Operation cannot be fulfilled on deployments.apps "x": the object has been modified; please apply your changes to the latest version and try again',
    );
    expect(expiredStatus('5', '10')).toMatchObject({
      code: 410,
      reason: 'Expired',
      message: 'too old resource version: 5 (10)',
    });
    expect(internalErrorStatus('boom')).toMatchObject({
      code: 500,
      reason: 'InternalError',
      message: 'Internal error occurred: boom',
    });
  });
});

/**
 * Validation of writes to the `status` subresource (ValidatePodStatusUpdate,
 * ValidateDeploymentStatusUpdate, ...): metadata stays immutable as on any update, and the
 * status fields the agents and controllers report must be well formed. The caller (API
 * server) keeps the stored spec; only status is taken from the request.
 */
import type { StatusCause } from '../types/meta.js';
import { child, FieldErrors, index } from './field.js';
import { validateObjectMetaUpdate } from './meta.js';
import { isIP } from './names.js';

const CONDITION_STATUSES = ['True', 'False', 'Unknown'];
const POD_PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'];
const TERMINAL_PHASES = ['Succeeded', 'Failed'];

type Json = Record<string, unknown>;

function record(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

function validateConditions(errors: FieldErrors, conditions: unknown, path: string): void {
  errors.list(path, conditions as unknown[] | undefined).forEach((condition, position) => {
    const conditionPath = index(path, position);
    const entry = record(condition);
    if (entry === undefined) {
      errors.typeInvalid(conditionPath, condition, 'an object');
      return;
    }
    if (entry.type === undefined || entry.type === '') errors.required(child(conditionPath, 'type'));
    else errors.isString(child(conditionPath, 'type'), entry.type);
    if (entry.status === undefined) errors.required(child(conditionPath, 'status'));
    else errors.oneOf(child(conditionPath, 'status'), entry.status, CONDITION_STATUSES);
  });
}

function validateCounts(errors: FieldErrors, status: Json, fields: readonly string[]): void {
  for (const field of fields) errors.nonNegative(child('status', field), status[field]);
}

function validatePodStatus(errors: FieldErrors, next: Json, previous: Json): void {
  const status = record(next.status) ?? {};
  const phase = status.phase;
  errors.oneOf('status.phase', phase, POD_PHASES);
  const oldPhase = record(previous.status)?.phase;
  if (typeof oldPhase === 'string' && TERMINAL_PHASES.includes(oldPhase) && phase !== oldPhase) {
    errors.forbidden('status.phase', `may not transition from terminal phase ${oldPhase}`);
  }
  validateConditions(errors, status.conditions, 'status.conditions');
  for (const field of ['podIP', 'hostIP'] as const) {
    const value = status[field];
    if (value !== undefined && value !== '' && (typeof value !== 'string' || !isIP(value))) {
      errors.invalid(child('status', field), value, 'must be a valid IP address');
    }
  }
  const spec = record(next.spec);
  for (const [field, specField] of [
    ['containerStatuses', 'containers'],
    ['initContainerStatuses', 'initContainers'],
  ] as const) {
    const declared = spec?.[specField];
    const names = new Set(
      (Array.isArray(declared) ? declared : []).map((item: unknown) => record(item)?.name),
    );
    const path = child('status', field);
    errors.list(path, status[field] as unknown[] | undefined).forEach((entry, position) => {
      const entryPath = index(path, position);
      const containerStatus = record(entry);
      if (containerStatus === undefined) {
        errors.typeInvalid(entryPath, entry, 'an object');
        return;
      }
      if (!names.has(containerStatus.name))
        errors.notFound(child(entryPath, 'name'), containerStatus.name ?? '');
      errors.nonNegative(child(entryPath, 'restartCount'), containerStatus.restartCount);
    });
  }
}

function validateReplicaStatus(errors: FieldErrors, next: Json): void {
  const status = record(next.status) ?? {};
  validateCounts(errors, status, [
    'replicas',
    'updatedReplicas',
    'readyReplicas',
    'availableReplicas',
    'unavailableReplicas',
    'fullyLabeledReplicas',
    'observedGeneration',
    'collisionCount',
  ]);
  const { replicas, readyReplicas, availableReplicas } = status;
  if (typeof readyReplicas === 'number' && typeof replicas === 'number' && readyReplicas > replicas) {
    errors.invalid('status.readyReplicas', readyReplicas, 'cannot be greater than status.replicas');
  }
  if (
    typeof availableReplicas === 'number' &&
    typeof readyReplicas === 'number' &&
    availableReplicas > readyReplicas
  ) {
    errors.invalid('status.availableReplicas', availableReplicas, 'cannot be greater than readyReplicas');
  }
  validateConditions(errors, status.conditions, 'status.conditions');
}

/**
 * Validates a status-subresource write of `previous` to `next` (same kind). Returns the
 * causes, empty when valid. Never throws.
 */
export function validateStatusUpdate(next: unknown, previous: unknown): StatusCause[] {
  const errors = new FieldErrors();
  const nextObject = record(next);
  const previousObject = record(previous);
  if (nextObject === undefined || previousObject === undefined) {
    errors.typeInvalid('', next, 'an object');
    return errors.causes;
  }
  try {
    const nextMeta = record(nextObject.metadata);
    const previousMeta = record(previousObject.metadata);
    if (nextMeta === undefined) errors.required('metadata');
    else if (previousMeta !== undefined) validateObjectMetaUpdate(errors, nextMeta, previousMeta);
    if (nextObject.status !== undefined && record(nextObject.status) === undefined) {
      errors.typeInvalid('status', nextObject.status, 'an object');
      return errors.causes;
    }
    switch (nextObject.kind) {
      case 'Pod':
        validatePodStatus(errors, nextObject, previousObject);
        break;
      case 'Deployment':
      case 'ReplicaSet':
        validateReplicaStatus(errors, nextObject);
        break;
      case 'Node':
      case 'Namespace':
      case 'PersistentVolumeClaim':
      case 'HorizontalPodAutoscaler':
      case 'Service':
        validateConditions(errors, record(nextObject.status)?.conditions, 'status.conditions');
        break;
    }
    const status = record(nextObject.status) ?? {};
    if (nextObject.kind === 'Namespace')
      errors.oneOf('status.phase', status.phase, ['Active', 'Terminating']);
    if (nextObject.kind === 'HorizontalPodAutoscaler')
      validateCounts(errors, status, ['currentReplicas', 'desiredReplicas']);
  } catch (error) {
    errors.causes.push({ type: 'InternalError', field: '', message: `Internal error: ${String(error)}` });
  }
  return errors.causes;
}

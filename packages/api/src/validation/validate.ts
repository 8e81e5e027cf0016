/**
 * Entry points of validation: check any object by its `kind`, on create or on update, and
 * get the list of causes (empty when valid). Feed a non-empty list to `invalidStatus` to
 * build the 422 response.
 */
import type { StatusCause } from '../types/meta.js';
import {
  validateDeployment,
  validateDeploymentUpdate,
  validateReplicaSet,
  validateReplicaSetUpdate,
} from './apps.js';
import {
  validateEvent,
  validateEventUpdate,
  validateLease,
  validateLeaseUpdate,
  validateNamespace,
  validateNamespaceUpdate,
  validateNode,
  validateNodeUpdate,
} from './cluster.js';
import {
  validateConfigMap,
  validateConfigMapUpdate,
  validateSecret,
  validateSecretUpdate,
} from './config.js';
import type { FieldErrors } from './field.js';
import { validateHorizontalPodAutoscaler, validateHorizontalPodAutoscalerUpdate } from './hpa.js';
import { validateIngress, validateIngressUpdate } from './ingress.js';
import { validatePod, validatePodUpdate } from './pod.js';
import {
  validateEndpoints,
  validateEndpointsUpdate,
  validateService,
  validateServiceUpdate,
} from './service.js';
import {
  validatePersistentVolume,
  validatePersistentVolumeClaim,
  validatePersistentVolumeClaimUpdate,
  validatePersistentVolumeUpdate,
} from './storage.js';

type CreateValidator = (object: never) => FieldErrors;
type UpdateValidator = (next: never, previous: never) => FieldErrors;

const VALIDATORS: Record<string, { create: CreateValidator; update: UpdateValidator }> = {
  Pod: { create: validatePod, update: validatePodUpdate },
  Deployment: { create: validateDeployment, update: validateDeploymentUpdate },
  ReplicaSet: { create: validateReplicaSet, update: validateReplicaSetUpdate },
  Service: { create: validateService, update: validateServiceUpdate },
  Endpoints: { create: validateEndpoints, update: validateEndpointsUpdate },
  ConfigMap: { create: validateConfigMap, update: validateConfigMapUpdate },
  Secret: { create: validateSecret, update: validateSecretUpdate },
  Namespace: { create: validateNamespace, update: validateNamespaceUpdate },
  Node: { create: validateNode, update: validateNodeUpdate },
  Event: { create: validateEvent, update: validateEventUpdate },
  PersistentVolume: { create: validatePersistentVolume, update: validatePersistentVolumeUpdate },
  PersistentVolumeClaim: {
    create: validatePersistentVolumeClaim,
    update: validatePersistentVolumeClaimUpdate,
  },
  Ingress: { create: validateIngress, update: validateIngressUpdate },
  HorizontalPodAutoscaler: {
    create: validateHorizontalPodAutoscaler,
    update: validateHorizontalPodAutoscalerUpdate,
  },
  Lease: { create: validateLease, update: validateLeaseUpdate },
};

/** Kinds `validateObject` knows. */
export const VALIDATED_KINDS: readonly string[] = Object.freeze(Object.keys(VALIDATORS));

function kindOf(object: unknown): string | undefined {
  if (typeof object !== 'object' || object === null) return undefined;
  const kind = (object as { kind?: unknown }).kind;
  return typeof kind === 'string' ? kind : undefined;
}

function guarded(run: () => FieldErrors): StatusCause[] {
  try {
    return run().causes;
  } catch (error) {
    // Validators report malformed input as causes; reaching here is a bug in them, but the
    // request must still fail cleanly rather than crash the server.
    return [
      {
        type: 'InternalError',
        field: '',
        message: `Internal error: ${error instanceof Error ? error.message : String(error)}`,
      },
    ];
  }
}

/**
 * Validates an object for create by its `kind`. Returns the causes (empty = valid); an
 * unknown or missing kind yields one `kind` cause. Never throws.
 */
export function validateObject(object: unknown): StatusCause[] {
  const kind = kindOf(object);
  const validator = kind === undefined ? undefined : VALIDATORS[kind];
  if (validator === undefined) {
    return kind === undefined
      ? [{ type: 'FieldValueRequired', field: 'kind', message: 'Required value' }]
      : [
          {
            type: 'FieldValueNotSupported',
            field: 'kind',
            message: `Unsupported value: ${JSON.stringify(kind)}: supported values: ${VALIDATED_KINDS.map((name) => JSON.stringify(name)).join(', ')}`,
          },
        ];
  }
  return guarded(() => validator.create(object as never));
}

/**
 * Validates an update of `previous` to `next` (same kind): everything `validateObject`
 * checks plus immutable fields. Never throws.
 */
export function validateObjectUpdate(next: unknown, previous: unknown): StatusCause[] {
  const kind = kindOf(next);
  if (kind !== kindOf(previous)) {
    return [
      {
        type: 'FieldValueInvalid',
        field: 'kind',
        message: `Invalid value: ${JSON.stringify(kind ?? null)}: field is immutable`,
      },
    ];
  }
  const validator = kind === undefined ? undefined : VALIDATORS[kind];
  if (validator === undefined) return validateObject(next);
  return guarded(() => validator.update(next as never, previous as never));
}

/**
 * Validation of PersistentVolumes and PersistentVolumeClaims: access modes, capacity and
 * requested storage, volume sources, and claim spec immutability on update.
 */
import { cloneJson } from '../clone.js';
import { isQuantity, parseQuantity } from '../quantity.js';
import type { PersistentVolume, PersistentVolumeClaim, ResourceList } from '../types/core.js';
import { child, deepEqual, FieldErrors, index, key } from './field.js';
import { validateLabelSelector, validateObjectMeta, validateObjectMetaUpdate } from './meta.js';
import { nameIsDNSSubdomain } from './names.js';

const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
const PV_SOURCES = ['hostPath', 'local', 'nfs'];

function validateAccessModes(errors: FieldErrors, modes: string[] | undefined, path: string): void {
  const list = errors.list(path, modes);
  if (list.length === 0) errors.required(path, 'at least 1 access mode is required');
  list.forEach((mode, position) => {
    errors.oneOf(index(path, position), mode, ACCESS_MODES);
  });
  if (list.includes('ReadWriteOncePod') && list.length > 1) {
    errors.forbidden(path, 'may not use ReadWriteOncePod with other access modes');
  }
}

function validateStorage(errors: FieldErrors, resources: ResourceList | undefined, path: string): void {
  const storagePath = key(path, 'storage');
  const storage = resources?.storage;
  if (storage === undefined) {
    errors.required(storagePath);
  } else if (!isQuantity(storage)) {
    errors.invalid(storagePath, storage, 'must be a valid quantity');
  } else if (parseQuantity(storage).sign() <= 0) {
    errors.invalid(storagePath, storage, 'must be greater than zero');
  }
}

/** Full validation of a PersistentVolume. */
export function validatePersistentVolume(volume: PersistentVolume): FieldErrors {
  const errors = new FieldErrors();
  validateObjectMeta(errors, volume.metadata, { namespaced: false, validateName: nameIsDNSSubdomain });
  const spec = volume.spec;
  if (spec === undefined || spec === null) {
    errors.required('spec');
    return errors;
  }
  if (!errors.isObject('spec', spec)) return errors;
  validateAccessModes(errors, spec.accessModes, 'spec.accessModes');
  if (spec.capacity === undefined) errors.required('spec.capacity');
  else if (errors.isObject('spec.capacity', spec.capacity))
    validateStorage(errors, spec.capacity, 'spec.capacity');
  const sources = PV_SOURCES.filter(
    (source) => (spec as unknown as Record<string, unknown>)[source] !== undefined,
  );
  if (sources.length === 0) errors.required('spec', 'must specify a volume type');
  for (const extra of sources.slice(1))
    errors.forbidden(child('spec', extra), 'may not specify more than 1 volume type');
  if (
    errors.isObject('spec.hostPath', spec.hostPath) &&
    (spec.hostPath.path === undefined || spec.hostPath.path === '')
  )
    errors.required('spec.hostPath.path');
  if (errors.isObject('spec.local', spec.local) && (spec.local.path === undefined || spec.local.path === ''))
    errors.required('spec.local.path');
  if (spec.local !== undefined && spec.nodeAffinity === undefined)
    errors.required('spec.nodeAffinity', 'Local volume requires node affinity');
  errors.oneOf('spec.persistentVolumeReclaimPolicy', spec.persistentVolumeReclaimPolicy, [
    'Delete',
    'Recycle',
    'Retain',
  ]);
  errors.oneOf('spec.volumeMode', spec.volumeMode, ['Block', 'Filesystem']);
  return errors;
}

/** PersistentVolume update: metadata immutability; volumeMode immutable. */
export function validatePersistentVolumeUpdate(
  next: PersistentVolume,
  previous: PersistentVolume,
): FieldErrors {
  const errors = validatePersistentVolume(next);
  validateObjectMetaUpdate(errors, next.metadata, previous.metadata);
  if ((next.spec?.volumeMode ?? 'Filesystem') !== (previous.spec?.volumeMode ?? 'Filesystem')) {
    errors.invalid('spec.volumeMode', next.spec?.volumeMode ?? '', 'field is immutable');
  }
  return errors;
}

/** Full validation of a PersistentVolumeClaim. */
export function validatePersistentVolumeClaim(claim: PersistentVolumeClaim): FieldErrors {
  const errors = new FieldErrors();
  validateObjectMeta(errors, claim.metadata, { namespaced: true, validateName: nameIsDNSSubdomain });
  const spec = claim.spec;
  if (spec === undefined || spec === null) {
    errors.required('spec');
    return errors;
  }
  if (!errors.isObject('spec', spec)) return errors;
  validateAccessModes(errors, spec.accessModes, 'spec.accessModes');
  if (spec.selector !== undefined) validateLabelSelector(errors, spec.selector, 'spec.selector');
  const resources = spec.resources;
  if (errors.isObject('spec.resources', resources) || resources === undefined) {
    validateStorage(errors, resources?.requests, 'spec.resources.requests');
    const limit = resources?.limits?.storage;
    const request = resources?.requests?.storage;
    if (
      limit !== undefined &&
      request !== undefined &&
      isQuantity(limit) &&
      isQuantity(request) &&
      parseQuantity(request).cmp(parseQuantity(limit)) > 0
    ) {
      errors.invalid(
        key('spec.resources.requests', 'storage'),
        request,
        `must be less than or equal to storage limit of ${limit}`,
      );
    }
  }
  errors.oneOf('spec.volumeMode', spec.volumeMode, ['Block', 'Filesystem']);
  return errors;
}

/**
 * PersistentVolumeClaim update: the spec is immutable except `resources.requests` (which may
 * not shrink) and `volumeName` while it is still unset.
 */
export function validatePersistentVolumeClaimUpdate(
  next: PersistentVolumeClaim,
  previous: PersistentVolumeClaim,
): FieldErrors {
  const errors = validatePersistentVolumeClaim(next);
  validateObjectMetaUpdate(errors, next.metadata, previous.metadata);
  const nextSpec = next.spec;
  const previousSpec = previous.spec;
  if (
    nextSpec === undefined ||
    previousSpec === undefined ||
    typeof nextSpec !== 'object' ||
    nextSpec === null
  )
    return errors;
  const comparable = cloneJson(previousSpec);
  comparable.resources = { ...comparable.resources };
  if (nextSpec.resources?.requests !== undefined) comparable.resources.requests = nextSpec.resources.requests;
  else delete comparable.resources.requests;
  if ((previousSpec.volumeName ?? '') === '' && nextSpec.volumeName !== undefined)
    comparable.volumeName = nextSpec.volumeName;
  if (Object.keys(comparable.resources).length === 0 && nextSpec.resources === undefined)
    delete comparable.resources;
  if (!deepEqual(comparable, nextSpec)) {
    errors.forbidden(
      'spec',
      'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims',
    );
  }
  const oldStorage = previousSpec.resources?.requests?.storage;
  const newStorage = nextSpec.resources?.requests?.storage;
  if (
    oldStorage !== undefined &&
    newStorage !== undefined &&
    isQuantity(oldStorage) &&
    isQuantity(newStorage)
  ) {
    if (parseQuantity(newStorage).cmp(parseQuantity(oldStorage)) < 0) {
      errors.forbidden('spec.resources.requests.storage', 'field can not be less than previous value');
    }
  }
  return errors;
}

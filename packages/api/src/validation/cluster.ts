/**
 * Validation of cluster bookkeeping kinds: Namespace, Node, Event and Lease.
 */
import type { Lease } from '../types/coordination.js';
import type { Event, Namespace, Node } from '../types/core.js';
import { child, FieldErrors, index } from './field.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './meta.js';
import { isQualifiedName, isValidLabelValue, nameIsDNSLabel, nameIsDNSSubdomain } from './names.js';

const CIDR_RE = /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$|^[0-9a-fA-F:]+\/\d{1,3}$/;

/** Full validation of a Namespace (name is a DNS-1123 label; finalizers are qualified names). */
export function validateNamespace(namespace: Namespace): FieldErrors {
  const errors = new FieldErrors();
  validateObjectMeta(errors, namespace.metadata, { namespaced: false, validateName: nameIsDNSLabel });
  const spec = namespace.spec;
  if (errors.isObject('spec', spec)) {
    errors.list('spec.finalizers', spec.finalizers).forEach((finalizer, position) => {
      const path = index('spec.finalizers', position);
      if (errors.isString(path, finalizer)) errors.invalidEach(path, finalizer, isQualifiedName(finalizer));
    });
  }
  if (errors.isObject('status', namespace.status))
    errors.oneOf('status.phase', namespace.status.phase, ['Active', 'Terminating']);
  return errors;
}

/** Namespace update: metadata immutability (the name label is managed by defaulting). */
export function validateNamespaceUpdate(next: Namespace, previous: Namespace): FieldErrors {
  const errors = validateNamespace(next);
  validateObjectMetaUpdate(errors, next.metadata, previous.metadata);
  return errors;
}

/** Full validation of a Node: pod CIDRs and taints. */
export function validateNode(node: Node): FieldErrors {
  const errors = new FieldErrors();
  validateObjectMeta(errors, node.metadata, { namespaced: false, validateName: nameIsDNSSubdomain });
  const spec = node.spec;
  if (!errors.isObject('spec', spec)) return errors;
  if (
    spec.podCIDR !== undefined &&
    spec.podCIDR !== '' &&
    (typeof spec.podCIDR !== 'string' || !CIDR_RE.test(spec.podCIDR))
  ) {
    errors.invalid('spec.podCIDR', spec.podCIDR, 'must be a valid CIDR');
  }
  errors.list('spec.podCIDRs', spec.podCIDRs).forEach((cidr, position) => {
    if (typeof cidr !== 'string' || !CIDR_RE.test(cidr))
      errors.invalid(index('spec.podCIDRs', position), cidr, 'must be a valid CIDR');
  });
  const seen = new Set<string>();
  errors.list('spec.taints', spec.taints).forEach((taint, position) => {
    const path = index('spec.taints', position);
    if (!errors.isObject(path, taint)) return;
    if (taint.key === undefined || taint.key === '') errors.required(child(path, 'key'));
    else if (errors.isString(child(path, 'key'), taint.key))
      errors.invalidEach(child(path, 'key'), taint.key, isQualifiedName(taint.key));
    if (taint.value !== undefined && errors.isString(child(path, 'value'), taint.value)) {
      errors.invalidEach(child(path, 'value'), taint.value, isValidLabelValue(taint.value));
    }
    if (taint.effect === undefined) errors.required(child(path, 'effect'));
    else errors.oneOf(child(path, 'effect'), taint.effect, ['NoSchedule', 'PreferNoSchedule', 'NoExecute']);
    const identity = `${taint.key}:${taint.effect}`;
    if (seen.has(identity)) errors.duplicate(path, { key: taint.key, effect: taint.effect });
    seen.add(identity);
  });
  return errors;
}

/** Node update: metadata immutability; podCIDR may be set once, never changed. */
export function validateNodeUpdate(next: Node, previous: Node): FieldErrors {
  const errors = validateNode(next);
  validateObjectMetaUpdate(errors, next.metadata, previous.metadata);
  const oldCIDR = previous.spec?.podCIDR;
  if (oldCIDR !== undefined && oldCIDR !== '' && next.spec?.podCIDR !== oldCIDR) {
    errors.forbidden('spec.podCIDR', 'node updates may not change podCIDR except from "" to valid');
  }
  return errors;
}

/** Full validation of an Event. */
export function validateEvent(event: Event): FieldErrors {
  const errors = new FieldErrors();
  validateObjectMeta(errors, event.metadata, { namespaced: true, validateName: nameIsDNSSubdomain });
  if (!errors.isObject('involvedObject', event.involvedObject)) {
    if (event.involvedObject === undefined) errors.required('involvedObject');
  } else {
    const objectNamespace = event.involvedObject.namespace;
    if (
      objectNamespace !== undefined &&
      objectNamespace !== '' &&
      objectNamespace !== event.metadata?.namespace
    ) {
      errors.invalid('involvedObject.namespace', objectNamespace, 'does not match event.namespace');
    }
  }
  if (event.type !== undefined) errors.oneOf('type', event.type, ['Normal', 'Warning']);
  if (typeof event.reason === 'string' && event.reason.length > 128) errors.tooLong('reason', 128);
  if (typeof event.message === 'string' && event.message.length > 1024 * 1024)
    errors.tooLong('message', 1024 * 1024);
  errors.nonNegative('count', event.count);
  return errors;
}

/** Event update: metadata immutability. */
export function validateEventUpdate(next: Event, previous: Event): FieldErrors {
  const errors = validateEvent(next);
  validateObjectMetaUpdate(errors, next.metadata, previous.metadata);
  return errors;
}

/** Full validation of a Lease. */
export function validateLease(lease: Lease): FieldErrors {
  const errors = new FieldErrors();
  validateObjectMeta(errors, lease.metadata, { namespaced: true, validateName: nameIsDNSSubdomain });
  const spec = lease.spec;
  if (!errors.isObject('spec', spec)) return errors;
  errors.positive('spec.leaseDurationSeconds', spec.leaseDurationSeconds);
  errors.nonNegative('spec.leaseTransitions', spec.leaseTransitions);
  errors.isString('spec.holderIdentity', spec.holderIdentity);
  return errors;
}

/** Lease update: metadata immutability. */
export function validateLeaseUpdate(next: Lease, previous: Lease): FieldErrors {
  const errors = validateLease(next);
  validateObjectMetaUpdate(errors, next.metadata, previous.metadata);
  return errors;
}

/**
 * Validation of apps/v1 Deployments and ReplicaSets (pkg/apis/apps/validation): replicas,
 * a required, non-empty, immutable selector that matches the template labels, rolling
 * update parameters, and pod templates restricted to restartPolicy Always.
 */
import { labelSelectorAsSelector } from '../labels.js';
import type { Deployment, ReplicaSet } from '../types/apps.js';
import type { IntOrString, LabelSelector } from '../types/meta.js';
import type { PodTemplateSpec } from '../types/pod.js';
import { FieldErrors } from './field.js';
import {
  validateImmutable,
  validateLabelSelector,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from './meta.js';
import { nameIsDNSSubdomain } from './names.js';
import { validatePodTemplateSpec } from './pod.js';

const PERCENT_RE = /^(\d+)%$/;

/** Checks selector presence, syntax and non-emptiness, and that it selects the template's labels. */
function validateSelectorAndTemplate(
  errors: FieldErrors,
  selector: LabelSelector | undefined,
  template: PodTemplateSpec | undefined,
  kind: string,
): void {
  if (selector === undefined || selector === null) {
    errors.required('spec.selector');
  } else {
    const before = errors.causes.length;
    validateLabelSelector(errors, selector, 'spec.selector');
    if (errors.causes.length === before) {
      const compiled = labelSelectorAsSelector(selector);
      if (compiled.isEmpty()) {
        errors.invalid('spec.selector', selector, `empty selector is invalid for ${kind}`);
      } else if (template !== undefined && template !== null && typeof template === 'object') {
        const labels = template.metadata?.labels ?? {};
        if (typeof labels === 'object' && !compiled.matches(labels)) {
          errors.invalid(
            'spec.template.metadata.labels',
            labels,
            '`selector` does not match template `labels`',
          );
        }
      }
    }
  }
  validatePodTemplateSpec(errors, template, 'spec.template', {
    restartPolicies: ['Always'],
    forbidActiveDeadline: true,
  });
}

/** An int-or-percent field: non-negative integer or `N%`; `N` ≤ 100 when a percentage. */
function validateIntOrPercent(errors: FieldErrors, value: IntOrString | undefined, path: string): void {
  if (value === undefined) return;
  if (typeof value === 'number') {
    errors.nonNegative(path, value);
  } else if (typeof value === 'string') {
    const match = PERCENT_RE.exec(value);
    if (match === null)
      errors.invalid(
        path,
        value,
        "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
      );
    else if (Number(match[1]) > 100) errors.invalid(path, value, 'must not be greater than 100%');
  } else {
    errors.typeInvalid(path, value, 'an integer or a percentage string');
  }
}

function isZero(value: IntOrString | undefined): boolean {
  return value === 0 || value === '0%';
}

/** Full validation of a Deployment on create. */
export function validateDeployment(deployment: Deployment): FieldErrors {
  const errors = new FieldErrors();
  validateObjectMeta(errors, deployment.metadata, { namespaced: true, validateName: nameIsDNSSubdomain });
  const spec = deployment.spec;
  if (spec === undefined || spec === null) {
    errors.required('spec');
    return errors;
  }
  if (!errors.isObject('spec', spec)) return errors;
  errors.nonNegative('spec.replicas', spec.replicas);
  validateSelectorAndTemplate(errors, spec.selector, spec.template, 'deployment');
  const strategy = spec.strategy;
  if (errors.isObject('spec.strategy', strategy)) {
    errors.oneOf('spec.strategy.type', strategy.type, ['Recreate', 'RollingUpdate']);
    const rolling = strategy.rollingUpdate;
    if (strategy.type === 'Recreate' && rolling !== undefined) {
      errors.forbidden(
        'spec.strategy.rollingUpdate',
        "may not be specified when strategy `type` is 'Recreate'",
      );
    } else if (errors.isObject('spec.strategy.rollingUpdate', rolling)) {
      validateIntOrPercent(errors, rolling.maxUnavailable, 'spec.strategy.rollingUpdate.maxUnavailable');
      validateIntOrPercent(errors, rolling.maxSurge, 'spec.strategy.rollingUpdate.maxSurge');
      if (isZero(rolling.maxUnavailable) && isZero(rolling.maxSurge)) {
        errors.invalid(
          'spec.strategy.rollingUpdate.maxUnavailable',
          rolling.maxUnavailable,
          'may not be 0 when `maxSurge` is 0',
        );
      }
    }
  }
  errors.nonNegative('spec.revisionHistoryLimit', spec.revisionHistoryLimit);
  errors.nonNegative('spec.minReadySeconds', spec.minReadySeconds);
  errors.nonNegative('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds);
  if (
    typeof spec.progressDeadlineSeconds === 'number' &&
    spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0)
  ) {
    errors.invalid(
      'spec.progressDeadlineSeconds',
      spec.progressDeadlineSeconds,
      'must be greater than minReadySeconds',
    );
  }
  return errors;
}

/** Deployment update: create rules plus an immutable selector (apps/v1). */
export function validateDeploymentUpdate(next: Deployment, previous: Deployment): FieldErrors {
  const errors = validateDeployment(next);
  validateObjectMetaUpdate(errors, next.metadata, previous.metadata);
  validateImmutable(errors, next.spec?.selector, previous.spec?.selector, 'spec.selector');
  return errors;
}

/** Full validation of a ReplicaSet on create. */
export function validateReplicaSet(replicaSet: ReplicaSet): FieldErrors {
  const errors = new FieldErrors();
  validateObjectMeta(errors, replicaSet.metadata, { namespaced: true, validateName: nameIsDNSSubdomain });
  const spec = replicaSet.spec;
  if (spec === undefined || spec === null) {
    errors.required('spec');
    return errors;
  }
  if (!errors.isObject('spec', spec)) return errors;
  errors.nonNegative('spec.replicas', spec.replicas);
  errors.nonNegative('spec.minReadySeconds', spec.minReadySeconds);
  validateSelectorAndTemplate(errors, spec.selector, spec.template, 'replicaset');
  return errors;
}

/** ReplicaSet update: create rules plus an immutable selector. */
export function validateReplicaSetUpdate(next: ReplicaSet, previous: ReplicaSet): FieldErrors {
  const errors = validateReplicaSet(next);
  validateObjectMetaUpdate(errors, next.metadata, previous.metadata);
  validateImmutable(errors, next.spec?.selector, previous.spec?.selector, 'spec.selector');
  return errors;
}

/** Checks a `scale` subresource body's replicas. */
export function validateScaleReplicas(replicas: unknown): FieldErrors {
  const errors = new FieldErrors();
  errors.nonNegative('spec.replicas', replicas);
  return errors;
}

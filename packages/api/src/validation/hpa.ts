/**
 * Validation of autoscaling/v2 HorizontalPodAutoscalers: target reference, replica bounds,
 * metric specs (one source per type, target kinds) and scaling behavior.
 */
import { isQuantity, parseQuantity } from '../quantity.js';
import type {
  HorizontalPodAutoscaler,
  HPAScalingRules,
  MetricSpec,
  MetricTarget,
} from '../types/autoscaling.js';
import type { QuantityValue } from '../types/meta.js';
import { child, FieldErrors, index } from './field.js';
import { validateLabelSelector, validateObjectMeta, validateObjectMetaUpdate } from './meta.js';
import { isDNS1123Label, isPathSegmentName, nameIsPathSegment } from './names.js';

const METRIC_TYPES = ['ContainerResource', 'External', 'Object', 'Pods', 'Resource'];
const SOURCE_FIELD: Record<string, keyof MetricSpec> = {
  Object: 'object',
  Pods: 'pods',
  Resource: 'resource',
  ContainerResource: 'containerResource',
  External: 'external',
};
/** Longest allowed scaling policy period and stabilization window, in seconds (Kubernetes limits). */
const MAX_PERIOD_SECONDS = 1800;
const MAX_STABILIZATION_WINDOW_SECONDS = 3600;

function validatePositiveQuantity(errors: FieldErrors, value: QuantityValue | undefined, path: string): void {
  if (value === undefined) return;
  if (!isQuantity(value)) errors.invalid(path, value, 'must be a valid quantity');
  else if (parseQuantity(value).sign() <= 0) errors.invalid(path, value, 'must be positive');
}

function validateTarget(
  errors: FieldErrors,
  target: MetricTarget | undefined,
  path: string,
  allowUtilization: boolean,
): void {
  if (target === undefined || target === null) {
    errors.required(path);
    return;
  }
  if (!errors.isObject(path, target)) return;
  const types = allowUtilization ? ['AverageValue', 'Utilization', 'Value'] : ['AverageValue', 'Value'];
  if (target.type === undefined) errors.required(child(path, 'type'));
  else errors.oneOf(child(path, 'type'), target.type, types);
  validatePositiveQuantity(errors, target.value, child(path, 'value'));
  validatePositiveQuantity(errors, target.averageValue, child(path, 'averageValue'));
  errors.positive(child(path, 'averageUtilization'), target.averageUtilization);
  if (target.type === 'Utilization' && target.averageUtilization === undefined) {
    errors.required(
      child(path, 'averageUtilization'),
      'must set either a target raw value or a target utilization',
    );
  }
  if (target.type === 'Value' && target.value === undefined)
    errors.required(child(path, 'value'), 'must set a target value');
  if (target.type === 'AverageValue' && target.averageValue === undefined) {
    errors.required(child(path, 'averageValue'), 'must set a target averageValue');
  }
}

function validateMetric(errors: FieldErrors, metric: MetricSpec, path: string): void {
  if (!errors.isObject(path, metric)) return;
  if (metric.type === undefined) {
    errors.required(child(path, 'type'), 'must specify a metric source type');
    return;
  }
  errors.oneOf(child(path, 'type'), metric.type, METRIC_TYPES);
  const expected = SOURCE_FIELD[metric.type];
  for (const [type, field] of Object.entries(SOURCE_FIELD)) {
    if (field !== expected && metric[field] !== undefined) {
      errors.forbidden(
        child(path, field),
        `must populate the given metric source only: ${type} does not match type ${metric.type}`,
      );
    }
  }
  if (expected === undefined) return;
  const sourcePath = child(path, expected);
  const source = metric[expected] as Record<string, unknown> | undefined;
  if (source === undefined) {
    errors.required(sourcePath, `must populate information for the given metric source`);
    return;
  }
  if (!errors.isObject(sourcePath, source)) return;
  if (metric.type === 'Resource' || metric.type === 'ContainerResource') {
    if (source.name === undefined || source.name === '')
      errors.required(child(sourcePath, 'name'), 'must specify a resource name');
    if (metric.type === 'ContainerResource') {
      const container = source.container;
      if (container === undefined || container === '')
        errors.required(child(sourcePath, 'container'), 'must specify a container');
      else if (errors.isString(child(sourcePath, 'container'), container))
        errors.invalidEach(child(sourcePath, 'container'), container, isDNS1123Label(container));
    }
    validateTarget(errors, source.target as MetricTarget | undefined, child(sourcePath, 'target'), true);
    return;
  }
  const identifier = source.metric as { name?: unknown; selector?: unknown } | undefined;
  const metricPath = child(sourcePath, 'metric');
  if (identifier === undefined) errors.required(metricPath);
  else if (errors.isObject(metricPath, identifier)) {
    if (identifier.name === undefined || identifier.name === '')
      errors.required(child(metricPath, 'name'), 'must specify a metric name');
    if (identifier.selector !== undefined)
      validateLabelSelector(errors, identifier.selector as never, child(metricPath, 'selector'));
  }
  if (metric.type === 'Object') {
    const described = source.describedObject as { kind?: unknown; name?: unknown } | undefined;
    const describedPath = child(sourcePath, 'describedObject');
    if (described === undefined) errors.required(describedPath);
    else if (errors.isObject(describedPath, described)) {
      if (described.kind === undefined || described.kind === '')
        errors.required(child(describedPath, 'kind'));
      if (described.name === undefined || described.name === '')
        errors.required(child(describedPath, 'name'));
    }
  }
  validateTarget(errors, source.target as MetricTarget | undefined, child(sourcePath, 'target'), false);
}

function validateRules(errors: FieldErrors, rules: HPAScalingRules | undefined, path: string): void {
  if (!errors.isObject(path, rules)) return;
  const window = rules.stabilizationWindowSeconds;
  if (
    errors.isInteger(child(path, 'stabilizationWindowSeconds'), window) &&
    (window < 0 || window > MAX_STABILIZATION_WINDOW_SECONDS)
  ) {
    errors.invalid(
      child(path, 'stabilizationWindowSeconds'),
      window,
      `must be less than or equal to ${MAX_STABILIZATION_WINDOW_SECONDS} and greater than or equal to 0`,
    );
  }
  errors.oneOf(child(path, 'selectPolicy'), rules.selectPolicy, ['Disabled', 'Max', 'Min']);
  const policiesPath = child(path, 'policies');
  const policies = errors.list(policiesPath, rules.policies);
  if (rules.policies !== undefined && policies.length === 0)
    errors.required(policiesPath, 'must specify at least one Policy');
  policies.forEach((policy, position) => {
    const policyPath = index(policiesPath, position);
    if (!errors.isObject(policyPath, policy)) return;
    errors.oneOf(child(policyPath, 'type'), policy.type, ['Percent', 'Pods']);
    if (policy.type === undefined) errors.required(child(policyPath, 'type'));
    if (policy.value === undefined) errors.required(child(policyPath, 'value'));
    else errors.positive(child(policyPath, 'value'), policy.value);
    const period = policy.periodSeconds;
    if (period === undefined) errors.required(child(policyPath, 'periodSeconds'));
    else if (
      errors.isInteger(child(policyPath, 'periodSeconds'), period) &&
      (period <= 0 || period > MAX_PERIOD_SECONDS)
    ) {
      errors.invalid(
        child(policyPath, 'periodSeconds'),
        period,
        `must be greater than zero and less than or equal to ${MAX_PERIOD_SECONDS}`,
      );
    }
  });
}

/** Full validation of a HorizontalPodAutoscaler. */
export function validateHorizontalPodAutoscaler(hpa: HorizontalPodAutoscaler): FieldErrors {
  const errors = new FieldErrors();
  validateObjectMeta(errors, hpa.metadata, { namespaced: true, validateName: nameIsPathSegment });
  const spec = hpa.spec;
  if (spec === undefined || spec === null) {
    errors.required('spec');
    return errors;
  }
  if (!errors.isObject('spec', spec)) return errors;
  const target = spec.scaleTargetRef;
  if (target === undefined) errors.required('spec.scaleTargetRef');
  else if (errors.isObject('spec.scaleTargetRef', target)) {
    if (target.kind === undefined || target.kind === '') errors.required('spec.scaleTargetRef.kind');
    else if (errors.isString('spec.scaleTargetRef.kind', target.kind))
      errors.invalidEach('spec.scaleTargetRef.kind', target.kind, isPathSegmentName(target.kind));
    if (target.name === undefined || target.name === '') errors.required('spec.scaleTargetRef.name');
    else if (errors.isString('spec.scaleTargetRef.name', target.name))
      errors.invalidEach('spec.scaleTargetRef.name', target.name, isPathSegmentName(target.name));
  }
  const min = spec.minReplicas;
  if (errors.isInteger('spec.minReplicas', min) && min < 1)
    errors.invalid('spec.minReplicas', min, 'must be greater than or equal to 1');
  const max = spec.maxReplicas;
  if (max === undefined) errors.required('spec.maxReplicas');
  else if (errors.isInteger('spec.maxReplicas', max)) {
    if (max < 1) errors.invalid('spec.maxReplicas', max, 'must be greater than 0');
    else if (typeof min === 'number' && max < min)
      errors.invalid('spec.maxReplicas', max, 'must be greater than or equal to `minReplicas`');
  }
  errors.list('spec.metrics', spec.metrics).forEach((metric, position) => {
    validateMetric(errors, metric, index('spec.metrics', position));
  });
  if (errors.isObject('spec.behavior', spec.behavior)) {
    validateRules(errors, spec.behavior.scaleUp, 'spec.behavior.scaleUp');
    validateRules(errors, spec.behavior.scaleDown, 'spec.behavior.scaleDown');
  }
  return errors;
}

/** HPA update: create rules plus metadata immutability. */
export function validateHorizontalPodAutoscalerUpdate(
  next: HorizontalPodAutoscaler,
  previous: HorizontalPodAutoscaler,
): FieldErrors {
  const errors = validateHorizontalPodAutoscaler(next);
  validateObjectMetaUpdate(errors, next.metadata, previous.metadata);
  return errors;
}

/**
 * @navarch/api public entry: the Kubernetes object model Navarch serves. Pure functions and
 * types only (no I/O): object types by group, the resource registry and store key scheme,
 * defaulting, validation with field paths, Status builders, quantities, label and field
 * selectors, and the kubectl-style table printers.
 */

export { formatAge, humanDuration } from './age.js';
export { cloneJson } from './clone.js';
export {
  applyDefaults,
  defaultDeployment,
  defaultEndpoints,
  defaultHorizontalPodAutoscaler,
  defaultImagePullPolicy,
  defaultNamespace,
  defaultNode,
  defaultPersistentVolume,
  defaultPersistentVolumeClaim,
  defaultPod,
  defaultPodSpec,
  defaultReplicaSet,
  defaultSecret,
  defaultService,
  podQOSClass,
} from './defaults.js';
export {
  type ApiErrorCode,
  FieldSelectorError,
  LabelSelectorError,
  NavarchApiError,
  QuantityError,
} from './errors.js';
export {
  type FieldRequirement,
  type FieldSelector,
  fieldSelectorMatches,
  objectFields,
  parseFieldSelector,
  selectableFields,
} from './fields.js';
export {
  everything,
  formatLabelSelector,
  formatLabels,
  labelSelectorAsSelector,
  labelSelectorMatches,
  newRequirement,
  nothing,
  parseSelector,
  type Requirement,
  Selector,
  type SelectorOperator,
  selectorFromSet,
} from './labels.js';
export {
  buildTable,
  formatEndpoints,
  formatHPATargets,
  formatServicePorts,
  type IncludeObjectPolicy,
  nodeRoles,
  nodeStatus,
  podStatusReason,
  type TableOptions,
  tableCells,
  tableColumns,
} from './printers.js';
export {
  canonicalQuantity,
  compareQuantities,
  formatQuantity,
  isQuantity,
  parseQuantity,
  Quantity,
  type QuantityFormat,
  quantityToBytes,
  quantityToMilli,
  tryParseQuantity,
} from './quantity.js';
export {
  apiGroupList,
  apiResourceList,
  apiVersions,
  lookupResource,
  RESOURCES,
  type ResourceInfo,
  resourceByKind,
  resourceFor,
  resourceForKind,
  resourcePath,
  resourcesInCategory,
  STANDARD_VERBS,
  servedGroupVersions,
  storageKey,
  storagePrefix,
} from './resources.js';
export { type Scalable, scaleOf, withScale } from './scale.js';
export {
  alreadyExistsStatus,
  badRequestStatus,
  causeText,
  conflictStatus,
  expiredStatus,
  forbiddenStatus,
  type GroupKind,
  internalErrorStatus,
  invalidStatus,
  methodNotAllowedStatus,
  notAcceptableStatus,
  notFoundStatus,
  OPTIMISTIC_LOCK_MESSAGE,
  qualifiedKind,
  qualifiedResource,
  requestEntityTooLargeStatus,
  serviceUnavailableStatus,
  successStatus,
  timeoutStatus,
  tooManyRequestsStatus,
  unauthorizedStatus,
  unsupportedMediaTypeStatus,
} from './status.js';
export { formatTable, type TableTextOptions } from './table-text.js';
export type * from './types/apps.js';
export type * from './types/autoscaling.js';
export type * from './types/coordination.js';
export type * from './types/core.js';
export type * from './types/kinds.js';
export type * from './types/meta.js';
export type * from './types/networking.js';
export type * from './types/pod.js';
export { validateScaleReplicas } from './validation/apps.js';
export { MAX_DATA_SIZE_BYTES } from './validation/config.js';
export { deepEqual, FieldErrors, renderValue } from './validation/field.js';
export { TOTAL_ANNOTATION_SIZE_LIMIT_BYTES } from './validation/meta.js';
export {
  DNS1123_LABEL_MAX_LENGTH,
  DNS1123_SUBDOMAIN_MAX_LENGTH,
  isConfigMapKey,
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isEnvVarName,
  isIP,
  isIPv4,
  isQualifiedName,
  isValidLabelValue,
  isValidPortName,
  isValidPortNum,
} from './validation/names.js';
export { validateStatusUpdate } from './validation/status.js';
export { VALIDATED_KINDS, validateObject, validateObjectUpdate } from './validation/validate.js';

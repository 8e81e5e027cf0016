/**
 * meta/v1 shapes shared by every object: TypeMeta, ObjectMeta, ListMeta, Status,
 * WatchEvent, Table and the discovery documents. Field names and JSON shapes follow
 * k8s.io/apimachinery/pkg/apis/meta/v1 so that stock kubectl and client-go understand them.
 * Timestamps are RFC 3339 strings (UTC, second precision) exactly as they appear on the wire.
 */

/** An RFC 3339 timestamp as it appears on the wire, e.g. `2024-01-02T03:04:05Z`. */
export type Time = string;

/**
 * A Kubernetes quantity as written by the user (`250m`, `128Mi`, `1e3`) or as a bare number.
 * Parse with `parseQuantity`; the API always serializes the canonical string form.
 */
export type QuantityValue = string | number;

/** An int-or-string value (`targetPort: 8080` or `targetPort: http`, `maxSurge: 25%`). */
export type IntOrString = number | string;

/** apiVersion and kind: which schema a JSON document follows. */
export interface TypeMeta {
  /** `v1` for the core group, `group/version` otherwise (e.g. `apps/v1`). */
  apiVersion?: string;
  kind?: string;
}

/** Identifies an owning object; the garbage collector deletes dependents whose owners are gone. */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  /** At most one owner reference per object may set controller=true. */
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** One server-side-apply or update manager entry (kept for kubectl compatibility, not interpreted). */
export interface ManagedFieldsEntry {
  manager?: string;
  operation?: 'Apply' | 'Update';
  apiVersion?: string;
  time?: Time;
  fieldsType?: string;
  fieldsV1?: Record<string, unknown>;
  subresource?: string;
}

/** Metadata every persisted object carries. */
export interface ObjectMeta {
  /** Unique within (resource, namespace); immutable. Either name or generateName is required on create. */
  name?: string;
  /** Prefix from which the server generates a unique name when `name` is empty. */
  generateName?: string;
  /** Empty for cluster-scoped resources; defaults to `default` for namespaced ones. */
  namespace?: string;
  /** Server-assigned, immutable, unique over time. */
  uid?: string;
  /** Opaque to clients; Navarch uses the store's modification revision (decimal string). */
  resourceVersion?: string;
  /** Incremented by the server on every change to spec (not status or metadata). */
  generation?: number;
  creationTimestamp?: Time | null;
  /** Set when deletion was requested and finalizers still hold the object. */
  deletionTimestamp?: Time | null;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  /** Deletion waits until this list is empty. */
  finalizers?: string[];
  managedFields?: ManagedFieldsEntry[];
  /** Deprecated in Kubernetes; accepted and ignored. */
  selfLink?: string;
}

/** Metadata of a list response. */
export interface ListMeta {
  /** The store revision the list reflects; a watch started from it misses nothing. */
  resourceVersion?: string;
  /** Opaque token to fetch the next page (`limit`/`continue`). */
  continue?: string;
  remainingItemCount?: number;
  selfLink?: string;
}

/** The generic `XxxList` envelope: kind is the resource's listKind (e.g. `PodList`). */
export interface List<T> extends TypeMeta {
  metadata: ListMeta;
  items: T[];
}

/** A set-based selector requirement inside a LabelSelector. */
export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  /** Non-empty for In/NotIn, empty for Exists/DoesNotExist. */
  values?: string[];
}

/** Structured label selector; all terms are ANDed. An empty selector matches everything. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/** A standard condition (meta/v1 Condition) used by newer APIs. */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  observedGeneration?: number;
  lastTransitionTime: Time;
  reason: string;
  message: string;
}

/** Cause types a validation error can carry (`metav1.CauseType`). */
export type CauseType =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueDuplicate'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueNotFound'
  | 'FieldValueTypeInvalid'
  | 'InternalError'
  | 'UnexpectedServerResponse'
  | 'FieldManagerConflict'
  | 'ResourceVersionTooLarge';

/** One reason a request failed, usually naming a field by its JSON path. */
export interface StatusCause {
  type?: CauseType;
  message?: string;
  /** Dotted JSON path with indices, e.g. `spec.template.spec.containers[0].image`. */
  field?: string;
}

/** Extra, machine-readable detail of a failure Status. */
export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** Reasons a Status can give (`metav1.StatusReason`). */
export type StatusReason =
  | ''
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Invalid'
  | 'ServerTimeout'
  | 'Timeout'
  | 'TooManyRequests'
  | 'BadRequest'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'RequestEntityTooLarge'
  | 'UnsupportedMediaType'
  | 'InternalError'
  | 'Expired'
  | 'ServiceUnavailable';

/** The body of every non-2xx API response (and of some successful deletes). */
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: ListMeta;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: StatusReason;
  details?: StatusDetails;
  /** HTTP status code, duplicated in the body as Kubernetes does. */
  code: number;
}

/** Event types on a watch stream. ERROR carries a Status as object. */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** One line of a watch stream (`?watch=1`), newline-delimited JSON. */
export interface WatchEvent<T = unknown> {
  type: WatchEventType;
  object: T;
}

/** Describes one Table column (meta.k8s.io/v1 TableColumnDefinition). */
export interface TableColumnDefinition {
  /** Header, e.g. `Name` (kubectl upper-cases it). */
  name: string;
  /** OpenAPI type: `string`, `integer`, `number`, `boolean`. */
  type: 'string' | 'integer' | 'number' | 'boolean';
  /** OpenAPI format hint: `name` for the name column, `date` for timestamps, else ''. */
  format: string;
  description: string;
  /** 0: always shown; 1 and above: shown only with `-o wide`. */
  priority: number;
}

/** A row of a Table; cells align with columnDefinitions. */
export interface TableRow {
  cells: Array<string | number | boolean | null>;
  conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
  /** The object (or its PartialObjectMetadata) the row was printed from. */
  object?: unknown;
}

/** Server-side printed list (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`). */
export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: ListMeta;
  columnDefinitions: TableColumnDefinition[];
  rows: TableRow[];
}

/** One resource in a discovery document. */
export interface APIResource {
  /** Plural resource name, or `resource/subresource` for subresources. */
  name: string;
  singularName: string;
  namespaced: boolean;
  group?: string;
  version?: string;
  kind: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  storageVersionHash?: string;
}

/** `GET /api/v1` or `GET /apis/<group>/<version>`. */
export interface APIResourceList {
  kind: 'APIResourceList';
  apiVersion: 'v1';
  groupVersion: string;
  resources: APIResource[];
}

/** A group/version pair as discovery lists it. */
export interface GroupVersionForDiscovery {
  groupVersion: string;
  version: string;
}

/** One API group in discovery. */
export interface APIGroup {
  kind?: 'APIGroup';
  apiVersion?: 'v1';
  name: string;
  versions: GroupVersionForDiscovery[];
  preferredVersion: GroupVersionForDiscovery;
}

/** `GET /apis`. */
export interface APIGroupList {
  kind: 'APIGroupList';
  apiVersion: 'v1';
  groups: APIGroup[];
}

/** `GET /api`: the legacy core group's versions. */
export interface APIVersions {
  kind: 'APIVersions';
  apiVersion?: 'v1';
  versions: string[];
  serverAddressByClientCIDRs: Array<{ clientCIDR: string; serverAddress: string }>;
}

/** Body of a DELETE request (`DeleteOptions`). */
export interface DeleteOptions extends TypeMeta {
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  dryRun?: string[];
}

/** Any persisted object: TypeMeta plus ObjectMeta, the rest unknown. */
export interface KubeObject extends TypeMeta {
  metadata: ObjectMeta;
}

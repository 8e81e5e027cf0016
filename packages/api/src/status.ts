/**
 * Builders of meta/v1 Status objects worded exactly as the Kubernetes API server words
 * them (k8s.io/apimachinery/pkg/api/errors), so that kubectl prints familiar messages and
 * clients that inspect `reason` and `details` behave the same against Navarch.
 */
import type { ResourceInfo } from './resources.js';
import type { ListMeta, Status, StatusCause, StatusReason } from './types/meta.js';

/** Identifies the kind an error is about: group ('' for core) and kind or resource. */
export interface GroupKind {
  group: string;
  kind: string;
}

function failure(code: number, reason: StatusReason, message: string, details?: Status['details']): Status {
  const status: Status = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  };
  if (details !== undefined) status.details = details;
  return status;
}

/** `kind.group`, or just `kind` for the core group (Kubernetes' GroupKind.String()). */
export function qualifiedKind(groupKind: GroupKind): string {
  return groupKind.group === '' ? groupKind.kind : `${groupKind.kind}.${groupKind.group}`;
}

/** `resource.group`, or just `resource` for the core group (GroupResource.String()). */
export function qualifiedResource(info: Pick<ResourceInfo, 'group' | 'resource'>): string {
  return info.group === '' ? info.resource : `${info.resource}.${info.group}`;
}

/** The `field: body` text of one cause, as Kubernetes' field.Error.Error() renders it. */
export function causeText(cause: StatusCause): string {
  const body = cause.message ?? '';
  return cause.field === undefined || cause.field === '' ? body : `${cause.field}: ${body}`;
}

/**
 * 422 Invalid: `Deployment.apps "x" is invalid: spec.replicas: Invalid value: -1: must be
 * greater than or equal to 0`. Several causes are joined as `[a, b]` after removing exact
 * duplicates, as utilerrors.NewAggregate does.
 */
export function invalidStatus(groupKind: GroupKind, name: string, causes: StatusCause[]): Status {
  const texts = [...new Set(causes.map(causeText))];
  const head = `${qualifiedKind(groupKind)} ${JSON.stringify(name)} is invalid`;
  const message =
    texts.length === 0
      ? head
      : texts.length === 1
        ? `${head}: ${texts[0]}`
        : `${head}: [${texts.join(', ')}]`;
  return failure(422, 'Invalid', message, {
    name,
    group: groupKind.group,
    kind: groupKind.kind,
    causes: causes.map((cause) => ({ ...cause })),
  });
}

/** 404 NotFound: `pods "x" not found`; details.kind is the plural resource, as in Kubernetes. */
export function notFoundStatus(info: Pick<ResourceInfo, 'group' | 'resource'>, name: string): Status {
  return failure(404, 'NotFound', `${qualifiedResource(info)} ${JSON.stringify(name)} not found`, {
    name,
    group: info.group,
    kind: info.resource,
  });
}

/** 409 AlreadyExists: `deployments.apps "x" already exists`. */
export function alreadyExistsStatus(info: Pick<ResourceInfo, 'group' | 'resource'>, name: string): Status {
  return failure(409, 'AlreadyExists', `${qualifiedResource(info)} ${JSON.stringify(name)} already exists`, {
    name,
    group: info.group,
    kind: info.resource,
  });
}

/** The detail Kubernetes gives on an optimistic-concurrency failure. */
export const OPTIMISTIC_LOCK_MESSAGE =
  'the object has been modified; please apply your changes to the latest version and try again';

/** 409 Conflict: `Operation cannot be fulfilled on deployments.apps "x": <detail>`. */
export function conflictStatus(
  info: Pick<ResourceInfo, 'group' | 'resource'>,
  name: string,
  detail: string = OPTIMISTIC_LOCK_MESSAGE,
): Status {
  return failure(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(info)} ${JSON.stringify(name)}: ${detail}`,
    {
      name,
      group: info.group,
      kind: info.resource,
    },
  );
}

/** 400 BadRequest with a free-form message. */
export function badRequestStatus(message: string): Status {
  return failure(400, 'BadRequest', message);
}

/** 401 Unauthorized. */
export function unauthorizedStatus(message = 'Unauthorized'): Status {
  return failure(401, 'Unauthorized', message);
}

/**
 * 403 Forbidden: `pods "x" is forbidden: <reason>` (name may be empty for collection requests:
 * `pods is forbidden: ...`).
 */
export function forbiddenStatus(
  info: Pick<ResourceInfo, 'group' | 'resource'>,
  name: string,
  reason: string,
): Status {
  const subject =
    name === '' ? qualifiedResource(info) : `${qualifiedResource(info)} ${JSON.stringify(name)}`;
  return failure(403, 'Forbidden', `${subject} is forbidden: ${reason}`, {
    name,
    group: info.group,
    kind: info.resource,
  });
}

/** 405 MethodNotAllowed: `the server does not allow this method on the requested resource`. */
export function methodNotAllowedStatus(): Status {
  return failure(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
}

/** 406 NotAcceptable for an Accept header the server cannot satisfy. */
export function notAcceptableStatus(message: string): Status {
  return failure(406, 'NotAcceptable', message);
}

/** 410 Expired: a watch or list asked for a revision that was compacted. */
export function expiredStatus(requested: string, oldest: string): Status {
  return failure(410, 'Expired', `too old resource version: ${requested} (${oldest})`);
}

/** 413 RequestEntityTooLarge: the body exceeded the server's limit. */
export function requestEntityTooLargeStatus(limitBytes: number): Status {
  return failure(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limitBytes}`);
}

/** 415 UnsupportedMediaType for a Content-Type the endpoint does not take. */
export function unsupportedMediaTypeStatus(contentType: string): Status {
  return failure(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/merge-patch+json, application/strategic-merge-patch+json, application/json-patch+json; got ${contentType}`,
  );
}

/** 429 TooManyRequests with a retry hint. */
export function tooManyRequestsStatus(
  retryAfterSeconds: number,
  message = 'Too many requests, please try again later.',
): Status {
  return failure(429, 'TooManyRequests', message, { retryAfterSeconds });
}

/** 500 InternalError: `Internal error occurred: <message>`. */
export function internalErrorStatus(message: string): Status {
  return failure(500, 'InternalError', `Internal error occurred: ${message}`, {
    causes: [{ message }],
  });
}

/** 503 ServiceUnavailable (e.g. the store has no leader). */
export function serviceUnavailableStatus(message: string): Status {
  return failure(503, 'ServiceUnavailable', message);
}

/** 504 Timeout: the operation did not complete in time. */
export function timeoutStatus(message: string, retryAfterSeconds = 0): Status {
  return failure(504, 'Timeout', message, { retryAfterSeconds });
}

/** 200 Success, as returned by some deletes. */
export function successStatus(details?: Status['details'], metadata: ListMeta = {}): Status {
  const status: Status = { kind: 'Status', apiVersion: 'v1', metadata, status: 'Success', code: 200 };
  if (details !== undefined) status.details = details;
  return status;
}

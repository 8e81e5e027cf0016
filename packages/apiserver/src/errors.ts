/**
 * Errors the API server returns. Every failure leaves the server as a Kubernetes `Status`
 * object; `ApiError` carries the HTTP code, the Kubernetes reason and a stable Navarch code.
 */
import { type CauseType, invalidStatus } from '@navarch/api';

/** One field-level problem, as in `Status.details.causes`. */
export interface StatusCause {
  readonly reason: string;
  readonly message: string;
  readonly field?: string;
}

/** A Kubernetes `Status` object (kind Status, apiVersion v1). */
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message: string;
  reason: string;
  details?: { name?: string; group?: string; kind?: string; causes?: StatusCause[] };
  code: number;
}

/** Object identity shown in `Status.details`. */
export interface StatusSubject {
  readonly name?: string;
  readonly group?: string;
  readonly kind?: string;
}

/** An error that maps to one Kubernetes Status; `code` is the stable `NAVARCH_ERR_*` name. */
export class ApiError extends Error {
  constructor(
    readonly httpCode: number,
    readonly reason: string,
    message: string,
    readonly code: string,
    readonly subject: StatusSubject = {},
    readonly causes: readonly StatusCause[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The wire form. */
  toStatus(): Status {
    const status: Status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.httpCode,
    };
    const details: NonNullable<Status['details']> = { ...this.subject };
    if (this.causes.length > 0) details.causes = [...this.causes];
    if (Object.keys(details).length > 0) status.details = details;
    return status;
  }
}

/** `<resource>.<group>` as Kubernetes prints it in messages. */
function qualified(resource: string, group: string): string {
  return group === '' ? resource : `${resource}.${group}`;
}

/** 404 NotFound for `<resource>.<group> "name"`. */
export function notFound(resource: string, group: string, name: string): ApiError {
  return new ApiError(
    404,
    'NotFound',
    `${qualified(resource, group)} "${name}" not found`,
    'NAVARCH_ERR_NOT_FOUND',
    {
      name,
      group,
      kind: resource,
    },
  );
}

/** 409 AlreadyExists: a create for a name that is taken. */
export function alreadyExists(resource: string, group: string, name: string): ApiError {
  return new ApiError(
    409,
    'AlreadyExists',
    `${qualified(resource, group)} "${name}" already exists`,
    'NAVARCH_ERR_ALREADY_EXISTS',
    { name, group, kind: resource },
  );
}

/** 409 Conflict: a stale resourceVersion, a failed precondition or too many racing writers. */
export function conflict(resource: string, group: string, name: string, why: string): ApiError {
  return new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(resource, group)} "${name}": ${why}`,
    'NAVARCH_ERR_CONFLICT',
    { name, group, kind: resource },
  );
}

/** 422 Invalid with one cause per field problem. */
export function invalid(kind: string, group: string, name: string, causes: StatusCause[]): ApiError {
  // @navarch/api words the message as Kubernetes does (`Kind.group "x" is invalid: [a, b]`).
  const status = invalidStatus(
    { group, kind },
    name,
    causes.map((c) => ({ type: c.reason as CauseType, message: c.message, field: c.field ?? '' })),
  );
  return new ApiError(
    422,
    'Invalid',
    status.message ?? `${kind} "${name}" is invalid`,
    'NAVARCH_ERR_INVALID',
    { name, group, kind },
    causes,
  );
}

/** 400 BadRequest: malformed body, selector or parameter. */
export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message, 'NAVARCH_ERR_BAD_REQUEST');
}

/** 410 Expired: a resourceVersion or continue token older than the store's history. */
export function gone(message: string): ApiError {
  return new ApiError(410, 'Expired', message, 'NAVARCH_ERR_GONE');
}

/** 401 Unauthorized: no or unknown bearer token. */
export function unauthorized(): ApiError {
  return new ApiError(401, 'Unauthorized', 'Unauthorized', 'NAVARCH_ERR_UNAUTHORIZED');
}

/** 405 MethodNotAllowed: a verb the path does not support. */
export function methodNotAllowed(message: string): ApiError {
  return new ApiError(405, 'MethodNotAllowed', message, 'NAVARCH_ERR_METHOD_NOT_ALLOWED');
}

/** 413 RequestEntityTooLarge: a body over the limit. */
export function tooLarge(limitBytes: number): ApiError {
  return new ApiError(
    413,
    'RequestEntityTooLarge',
    `the request body is larger than the limit of ${limitBytes} bytes`,
    'NAVARCH_ERR_TOO_LARGE',
  );
}

/** 415 UnsupportedMediaType: a body or patch type the server does not decode. */
export function unsupportedMediaType(contentType: string): ApiError {
  return new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json, application/merge-patch+json, application/strategic-merge-patch+json, application/json-patch+json, application/apply-patch+yaml (got ${contentType})`,
    'NAVARCH_ERR_UNSUPPORTED_MEDIA_TYPE',
  );
}

/** 500 InternalError: a failure that is the server's, not the client's. */
export function internalError(message: string): ApiError {
  return new ApiError(500, 'InternalError', message, 'NAVARCH_ERR_INTERNAL');
}

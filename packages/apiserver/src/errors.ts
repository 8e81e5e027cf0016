/**
 * Errors the API server returns. Every failure leaves the server as a Kubernetes `Status`
 * object; `ApiError` carries the HTTP code, the Kubernetes reason and a stable Navarch code.
 */

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

export function alreadyExists(resource: string, group: string, name: string): ApiError {
  return new ApiError(
    409,
    'AlreadyExists',
    `${qualified(resource, group)} "${name}" already exists`,
    'NAVARCH_ERR_ALREADY_EXISTS',
    { name, group, kind: resource },
  );
}

export function conflict(resource: string, group: string, name: string, why: string): ApiError {
  return new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(resource, group)} "${name}": ${why}`,
    'NAVARCH_ERR_CONFLICT',
    { name, group, kind: resource },
  );
}

export function invalid(kind: string, group: string, name: string, causes: StatusCause[]): ApiError {
  const list = causes.map((c) => `${c.field ?? ''}: ${c.message}`).join(', ');
  return new ApiError(
    422,
    'Invalid',
    `${kind} "${name}" is invalid: ${list}`,
    'NAVARCH_ERR_INVALID',
    { name, group, kind },
    causes,
  );
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message, 'NAVARCH_ERR_BAD_REQUEST');
}

export function gone(message: string): ApiError {
  return new ApiError(410, 'Expired', message, 'NAVARCH_ERR_GONE');
}

export function unauthorized(): ApiError {
  return new ApiError(401, 'Unauthorized', 'Unauthorized', 'NAVARCH_ERR_UNAUTHORIZED');
}

export function methodNotAllowed(message: string): ApiError {
  return new ApiError(405, 'MethodNotAllowed', message, 'NAVARCH_ERR_METHOD_NOT_ALLOWED');
}

export function tooLarge(limitBytes: number): ApiError {
  return new ApiError(
    413,
    'RequestEntityTooLarge',
    `the request body is larger than the limit of ${limitBytes} bytes`,
    'NAVARCH_ERR_TOO_LARGE',
  );
}

export function unsupportedMediaType(contentType: string): ApiError {
  return new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json, application/merge-patch+json, application/strategic-merge-patch+json, application/json-patch+json, application/apply-patch+yaml (got ${contentType})`,
    'NAVARCH_ERR_UNSUPPORTED_MEDIA_TYPE',
  );
}

export function internalError(message: string): ApiError {
  return new ApiError(500, 'InternalError', message, 'NAVARCH_ERR_INTERNAL');
}

export function unavailable(message: string): ApiError {
  return new ApiError(503, 'ServiceUnavailable', message, 'NAVARCH_ERR_UNAVAILABLE');
}

/** A Success Status, returned by deletes of objects that are gone at once (as Kubernetes does for some). */
export function successStatus(details: StatusSubject & { uid?: string }): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details };
}

/**
 * Typed errors of the REST client. Callers branch on `code` (stable) rather than on message text;
 * the CLI turns each into the line kubectl would print.
 */

/** A Kubernetes `Status` object as returned by the API server on failure. */
export interface Status {
  apiVersion?: string;
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    uid?: string;
    causes?: Array<{ reason?: string; message?: string; field?: string }>;
    retryAfterSeconds?: number;
  };
}

/** Base class of every error the client throws on purpose; `code` is a stable `NAVARCH_ERR_*` string. */
export class ClientError extends Error {
  /** Stable machine-readable code. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ClientError';
    this.code = code;
  }
}

/**
 * The server answered with a non-2xx status. `status` is the server's Status object (synthesised
 * when the body was not one), `httpStatus` the HTTP code, `reason` the Status reason (`NotFound`,
 * `AlreadyExists`, `Conflict`, ...; empty when the server gave none).
 */
export class StatusError extends ClientError {
  readonly httpStatus: number;
  readonly reason: string;
  readonly status: Status;
  constructor(httpStatus: number, status: Status) {
    super('NAVARCH_ERR_API_STATUS', status.message ?? `the server returned HTTP ${httpStatus}`);
    this.name = 'StatusError';
    this.httpStatus = httpStatus;
    this.reason = status.reason ?? '';
    this.status = status;
  }
}

/**
 * The server could not be reached (refused, unresolvable, TLS failure, timeout). `server` is the
 * URL that was tried, so the user can see which address is wrong.
 */
export class ConnectionError extends ClientError {
  readonly server: string;
  /** Short cause: `refused`, `timeout`, `tls`, `dns` or `other`. */
  readonly kind: 'refused' | 'timeout' | 'tls' | 'dns' | 'other';
  constructor(server: string, kind: ConnectionError['kind'], message: string, options?: { cause?: unknown }) {
    super(`NAVARCH_ERR_CONNECTION_${kind.toUpperCase()}`, message, options);
    this.name = 'ConnectionError';
    this.server = server;
    this.kind = kind;
  }
}

/** A kubeconfig file is missing, unreadable, malformed, or names a context/cluster/user that does not exist. */
export class KubeconfigError extends ClientError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('NAVARCH_ERR_KUBECONFIG', message, options);
    this.name = 'KubeconfigError';
  }
}

/** A resource name given by the user does not match any resource the server serves. */
export class UnknownResourceError extends ClientError {
  readonly resource: string;
  constructor(resource: string) {
    super('NAVARCH_ERR_UNKNOWN_RESOURCE', `the server doesn't have a resource type "${resource}"`);
    this.name = 'UnknownResourceError';
    this.resource = resource;
  }
}

/** True when `err` is a StatusError with the given HTTP code. */
export function isStatus(err: unknown, httpStatus: number): err is StatusError {
  return err instanceof StatusError && err.httpStatus === httpStatus;
}

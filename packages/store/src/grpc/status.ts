/**
 * gRPC status codes, the status a call ends with, and the header encodings of the gRPC over HTTP/2
 * protocol (grpc-message percent-encoding, grpc-timeout) the server needs.
 */

/** gRPC status codes (the numbers are the protocol's). */
export const GrpcStatusCode = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

/** One of {@link GrpcStatusCode}'s values. */
export type GrpcStatusCodeValue = (typeof GrpcStatusCode)[keyof typeof GrpcStatusCode];

/**
 * The status a handler ends a call with (the shape grpc-js handlers pass to their callback, so the
 * handlers read the same either way): `details` becomes grpc-message.
 */
export interface GrpcStatus {
  code: number;
  details?: string;
}

/**
 * Why a call's AbortSignal fired: the client cancelled (CANCELLED), its deadline passed
 * (DEADLINE_EXCEEDED) or the server is shutting down (UNAVAILABLE). Named AbortError so that code
 * which treats any abort as "the client went away" keeps doing so.
 */
export class GrpcCallAbortedError extends Error {
  constructor(
    /** The status the call ended with. */
    readonly code: GrpcStatusCodeValue,
    message: string,
  ) {
    super(message);
    this.name = 'AbortError';
  }
}

/** Stable codes of {@link GrpcServerError}. */
export const GrpcServerErrorCode = {
  /** A service cannot be registered (missing handler, client streaming, duplicate path). */
  BadService: 'NAVARCH_ERR_GRPC_BAD_SERVICE',
  /** listen() after shutdown(). */
  ShutDown: 'NAVARCH_ERR_GRPC_SHUT_DOWN',
} as const;

/** A misuse of the gRPC server by its owner (never a client's fault). */
export class GrpcServerError extends Error {
  constructor(
    readonly code: (typeof GrpcServerErrorCode)[keyof typeof GrpcServerErrorCode],
    message: string,
  ) {
    super(message);
    this.name = 'GrpcServerError';
  }
}

/**
 * Percent-encodes a grpc-message value: the protocol allows only printable ASCII other than '%' in
 * the header, everything else (UTF-8 bytes) as %XX. Most messages need no encoding and are returned
 * as they are.
 */
export function encodeGrpcMessage(message: string): string {
  let plain = true;
  for (let i = 0; i < message.length; i++) {
    const c = message.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x25) {
      plain = false;
      break;
    }
  }
  if (plain) return message;
  let encoded = '';
  for (const byte of Buffer.from(message, 'utf8')) {
    encoded +=
      byte < 0x20 || byte > 0x7e || byte === 0x25
        ? `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
        : String.fromCharCode(byte);
  }
  return encoded;
}

const TIMEOUT_UNIT_MS: Record<string, number> = {
  H: 3_600_000,
  M: 60_000,
  S: 1000,
  m: 1,
  u: 0.001,
  n: 0.000_001,
};

/**
 * Parses a grpc-timeout header (1-8 digits and a unit: H, M, S, m, u, n) into milliseconds:
 * undefined when the header is absent, null when it is malformed (grpc-go fails such a call with
 * INTERNAL, and so does this server).
 */
export function parseGrpcTimeoutMs(value: string | string[] | undefined): number | null | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length < 2 || value.length > 9) return null;
  const unit = TIMEOUT_UNIT_MS[value[value.length - 1] as string];
  if (unit === undefined) return null;
  const digits = value.slice(0, -1);
  if (!/^[0-9]+$/.test(digits)) return null;
  return Number(digits) * unit;
}

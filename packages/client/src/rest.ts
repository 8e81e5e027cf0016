/**
 * The HTTP layer: one connection pool per API server (transport.ts), TLS from the kubeconfig (CA,
 * client certificate), bearer token, JSON in and out, Kubernetes Status errors as StatusError,
 * network failures as ConnectionError with the kubectl wording.
 */
import { ConnectionError, type Status, StatusError } from './errors.js';
import type { RestConfig } from './kubeconfig.js';
import { bodyText, type TlsOptions, Transport, type TransportResponse } from './transport.js';

/** Query parameters; undefined values are left out. */
export type Query = Record<string, string | number | boolean | undefined>;

/** One API request. `body` is JSON-encoded unless it is already a string. */
export interface RequestOptions {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Query;
  body?: unknown;
  contentType?: string;
  accept?: string;
  signal?: AbortSignal;
}

/** Tunables of a RestClient. */
export interface RestClientOptions {
  userAgent?: string;
  /** Time allowed to establish a connection (TCP + TLS). */
  connectTimeoutMs?: number;
  /** Time allowed for a whole non-streaming response. */
  requestTimeoutMs?: number;
}

/** Builds `path?query` with proper escaping. */
export function withQuery(path: string, query: Query | undefined): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) params.append(key, String(value));
  }
  const text = params.toString();
  return text === '' ? path : `${path}?${text}`;
}

const REASON_BY_CODE: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Expired',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/** The message client-go synthesises when an error response is not a Status object. */
function synthesisedStatus(httpStatus: number, text: string): Status {
  const reason = REASON_BY_CODE[httpStatus] ?? '';
  let message: string;
  switch (httpStatus) {
    case 404:
      message = 'the server could not find the requested resource';
      break;
    case 401:
      message = 'the server has asked for the client to provide credentials';
      break;
    case 403:
      message = text.trim() || 'the server does not allow access to the requested resource';
      break;
    case 405:
      message = 'the server does not allow this method on the requested resource';
      break;
    default:
      message =
        text.trim() || `an error on the server ("${text.trim()}") has prevented the request from succeeding`;
  }
  return { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: httpStatus, reason, message };
}

/** The error's code; a failed connect to a name with several addresses is an AggregateError. */
function errorCode(err: unknown): string {
  const e = err as { code?: unknown; cause?: { code?: unknown }; errors?: Array<{ code?: unknown }> };
  if (typeof e?.code === 'string') return e.code;
  if (typeof e?.cause?.code === 'string') return e.cause.code;
  if (Array.isArray(e?.errors) && typeof e.errors[0]?.code === 'string') return e.errors[0].code;
  return '';
}

/** Turns a network-level failure into a ConnectionError carrying the line kubectl would print. */
export function connectionError(server: string, err: unknown): ConnectionError {
  const url = new URL(server);
  const defaultPort = url.protocol === 'https:' ? '443' : '80';
  const hostPort = `${url.hostname.replace(/^\[|\]$/g, '')}:${url.port || defaultPort}`;
  const code = errorCode(err);
  const detail = (err as Error)?.message ?? String(err);
  if (code === 'ECONNREFUSED') {
    return new ConnectionError(
      server,
      'refused',
      `The connection to the server ${hostPort} was refused - did you specify the right host or port?`,
      { cause: err },
    );
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new ConnectionError(
      server,
      'dns',
      `Unable to connect to the server: dial tcp: lookup ${url.hostname}: no such host`,
      {
        cause: err,
      },
    );
  }
  if (code === 'ETIMEDOUT') {
    return new ConnectionError(
      server,
      'timeout',
      `Unable to connect to the server: dial tcp ${hostPort}: i/o timeout`,
      {
        cause: err,
      },
    );
  }
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL|EPROTO/.test(code)) {
    return new ConnectionError(
      server,
      'tls',
      `Unable to connect to the server: tls: failed to verify certificate: ${detail}`,
      {
        cause: err,
      },
    );
  }
  return new ConnectionError(server, 'other', `Unable to connect to the server: ${detail}`, { cause: err });
}

/** Low-level JSON client for one API server. Reuses connections; call close() when done. */
export class RestClient {
  readonly config: RestConfig;
  private readonly transport: Transport;
  private readonly headers: Record<string, string>;
  private readonly connectTimeoutMs: number;
  private readonly requestTimeoutMs: number;

  constructor(config: RestConfig, options: RestClientOptions = {}) {
    this.config = config;
    const url = new URL(config.server);
    // The pool is keyed by origin; a server URL with a path prefix keeps it in `basePath`.
    this.basePath = url.pathname.replace(/\/+$/, '');
    const tls: TlsOptions = { rejectUnauthorized: !config.insecureSkipTlsVerify };
    if (config.caData !== undefined) tls.ca = config.caData;
    if (config.certData !== undefined) tls.cert = config.certData;
    if (config.keyData !== undefined) tls.key = config.keyData;
    if (config.tlsServerName !== undefined) tls.servername = config.tlsServerName;
    this.transport = new Transport(url, tls);
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
    this.headers = { 'user-agent': options.userAgent ?? 'navctl/v0.1.0' };
    if (config.token) this.headers.authorization = `Bearer ${config.token}`;
    else if (config.username !== undefined) {
      const basic = Buffer.from(`${config.username}:${config.password ?? ''}`).toString('base64');
      this.headers.authorization = `Basic ${basic}`;
    }
  }

  /** Path prefix of the server URL (usually empty). */
  readonly basePath: string;

  private async send(options: RequestOptions, streaming: boolean): Promise<TransportResponse> {
    const headers: Record<string, string> = { ...this.headers, accept: options.accept ?? 'application/json' };
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      headers['content-type'] = options.contentType ?? 'application/json';
    }
    try {
      return await this.transport.send({
        method: options.method,
        path: withQuery(this.basePath + options.path, options.query),
        headers,
        ...(body !== undefined ? { body } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        limits: {
          connectTimeoutMs: this.connectTimeoutMs,
          headersTimeoutMs: this.requestTimeoutMs,
          bodyIdleTimeoutMs: streaming ? 0 : this.requestTimeoutMs,
        },
      });
    } catch (err) {
      if ((err as Error)?.name === 'AbortError') throw err;
      throw connectionError(this.config.server, err);
    }
  }

  private static async failure(statusCode: number, text: string): Promise<StatusError> {
    let status: Status | undefined;
    try {
      const parsed = JSON.parse(text) as Status;
      if (parsed && parsed.kind === 'Status') status = parsed;
    } catch {
      // Not JSON: fall through to the synthesised Status, as client-go does.
    }
    return new StatusError(statusCode, status ?? synthesisedStatus(statusCode, text));
  }

  /** Sends a request and decodes the JSON answer; non-2xx answers throw StatusError. */
  async request<T = unknown>(options: RequestOptions): Promise<T> {
    const response = await this.send(options, false);
    let text: string;
    try {
      text = await bodyText(response.body);
    } catch (err) {
      throw connectionError(this.config.server, err);
    }
    if (response.statusCode < 200 || response.statusCode >= 300) {
      throw await RestClient.failure(response.statusCode, text);
    }
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new StatusError(response.statusCode, {
        kind: 'Status',
        status: 'Failure',
        code: response.statusCode,
        reason: 'InternalError',
        message: `the server returned a body that is not JSON: ${(err as Error).message}`,
      });
    }
  }

  /**
   * Opens a streaming request (watch). Resolves once headers arrive; yields raw chunks. A non-2xx
   * answer throws StatusError before any chunk is yielded.
   */
  async stream(options: RequestOptions): Promise<AsyncIterable<Buffer>> {
    const response = await this.send(options, true);
    if (response.statusCode < 200 || response.statusCode >= 300) {
      throw await RestClient.failure(response.statusCode, await bodyText(response.body));
    }
    return response.body as AsyncIterable<Buffer>;
  }

  /** Closes pooled connections; open streams are destroyed. */
  async close(): Promise<void> {
    await this.transport.close();
  }
}

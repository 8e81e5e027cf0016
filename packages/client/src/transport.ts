/**
 * The wire under the REST client: one keep-alive connection pool per API server on Node's own
 * `node:http` / `node:https`, with connect, response-header and body-idle time limits.
 *
 * Why not undici: a CLI makes one or two requests and exits, so start-up is the whole cost.
 * undici brings ~290 KB of JavaScript, an HTTP parser in WebAssembly that V8 must compile, and
 * `node:http2`; Node's built-in client parses HTTP natively and its modules ship precompiled in
 * the node binary. Measured on `navctl get pods -A`: ~50 ms of CPU less per command (a quarter of
 * its instructions, counted with callgrind).
 */
import type { Agent, ClientRequest, IncomingMessage, RequestOptions as NodeRequestOptions } from 'node:http';
import type { Socket } from 'node:net';

/** TLS settings of the connection, from the kubeconfig. */
export interface TlsOptions {
  rejectUnauthorized: boolean;
  ca?: string | string[];
  cert?: string;
  key?: string;
  servername?: string;
}

/** Limits of one request, in milliseconds; 0 means no limit. */
export interface TransportLimits {
  /** Until the TCP connection (and TLS handshake) of a new connection is established. */
  connectTimeoutMs: number;
  /** From sending the request until the response headers arrive. */
  headersTimeoutMs: number;
  /** Longest silence while reading the body; 0 for streams (watch), which may be quiet for long. */
  bodyIdleTimeoutMs: number;
}

/** One request on the wire. */
export interface TransportRequest {
  method: string;
  /** Path and query. */
  path: string;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
  limits: TransportLimits;
}

/** The status line and the body stream of an answer. */
export interface TransportResponse {
  statusCode: number;
  body: IncomingMessage;
}

/** Most connections the pool opens to one server (as many requests in flight at once). */
export const MAX_CONNECTIONS = 8;

/** A timeout as a Node-style network error (`code` ETIMEDOUT), so callers map it like any other. */
function timeoutError(what: string, host: string, port: number): Error {
  return Object.assign(new Error(`${what} ETIMEDOUT ${host}:${port}`), { code: 'ETIMEDOUT' });
}

/**
 * Reads a whole body as UTF-8 text. With events rather than `for await`: a stream's async
 * iterator is built lazily by Node and costs a few milliseconds of CPU on a one-shot CLI.
 */
export function bodyText(body: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    body.on('data', (chunk: Buffer) => chunks.push(chunk));
    body.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    body.once('error', reject);
    // A body destroyed before its end (the connection closed, a timeout) emits 'close' but no 'end'.
    body.once('close', () => {
      if (!body.complete) reject(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
    });
  });
}

/** Keep-alive connections to one origin (`http://host:port` or `https://host:port`). */
export class Transport {
  private readonly secure: boolean;
  private readonly host: string;
  private readonly port: number;
  private readonly tls: TlsOptions;
  /**
   * Node's client modules, loaded on the first request: a command that never talks to the server
   * (config, completion) does not pay for loading `node:https` and `node:tls`.
   */
  private loaded: Promise<{ request: typeof import('node:http').request; agent: Agent }> | undefined;
  private destroyed = false;

  constructor(origin: URL, tls: TlsOptions) {
    this.secure = origin.protocol === 'https:';
    // WHATWG URLs keep IPv6 literals in brackets; sockets want the bare address.
    this.host = origin.hostname.replace(/^\[|\]$/g, '');
    this.port = origin.port ? Number(origin.port) : this.secure ? 443 : 80;
    this.tls = tls;
  }

  private load() {
    this.loaded ??= (async () => {
      if (this.secure) {
        const https = await import('./node-https.js');
        const agent = new https.Agent({ keepAlive: true, maxSockets: MAX_CONNECTIONS, ...this.tls });
        return { request: https.request as typeof import('node:http').request, agent };
      }
      const http = await import('./node-http.js');
      const agent = new http.Agent({ keepAlive: true, maxSockets: MAX_CONNECTIONS });
      return { request: http.request, agent };
    })();
    return this.loaded;
  }

  /**
   * Sends a request; resolves once the response headers arrived. Network failures reject with
   * Node's error (its `code` says what failed); an abort rejects with an `AbortError`.
   */
  async send(options: TransportRequest): Promise<TransportResponse> {
    const { request, agent } = await this.load();
    if (this.destroyed) throw Object.assign(new Error('the client is closed'), { code: 'ERR_CLIENT_CLOSED' });
    const headers: Record<string, string | number> = { ...options.headers };
    if (options.body !== undefined) headers['content-length'] = Buffer.byteLength(options.body);
    const nodeOptions: NodeRequestOptions = {
      agent,
      method: options.method,
      host: this.host,
      port: this.port,
      path: options.path,
      headers,
    };
    if (options.signal) nodeOptions.signal = options.signal;
    const { limits } = options;
    return new Promise<TransportResponse>((resolve, reject) => {
      const req: ClientRequest = request(nodeOptions);
      const timers: NodeJS.Timeout[] = [];
      const fail = (err: Error) => req.destroy(err);
      const clearTimers = () => {
        for (const t of timers) clearTimeout(t);
      };
      if (limits.headersTimeoutMs > 0) {
        timers.push(
          setTimeout(
            () => fail(timeoutError('response headers', this.host, this.port)),
            limits.headersTimeoutMs,
          ),
        );
      }
      req.once('socket', (socket: Socket) => {
        // A pooled connection is already up; only a new one has a connect (and handshake) to wait for.
        if (!socket.connecting || limits.connectTimeoutMs <= 0) return;
        const timer = setTimeout(
          () => fail(timeoutError('connect', this.host, this.port)),
          limits.connectTimeoutMs,
        );
        timers.push(timer);
        socket.once(this.secure ? 'secureConnect' : 'connect', () => clearTimeout(timer));
      });
      req.once('response', (res: IncomingMessage) => {
        clearTimers();
        const signal = options.signal;
        if (signal) {
          // Node ends an aborted body with ECONNRESET "aborted"; readers should see the abort itself.
          const onAbort = () =>
            res.destroy(
              Object.assign(new Error('This operation was aborted'), {
                name: 'AbortError',
                code: 'ABORT_ERR',
              }),
            );
          signal.addEventListener('abort', onAbort, { once: true });
          res.once('close', () => signal.removeEventListener('abort', onAbort));
        }
        if (limits.bodyIdleTimeoutMs > 0) {
          // The socket's idle timer; Node's agent resets it when the connection goes back to the pool.
          req.setTimeout(limits.bodyIdleTimeoutMs, () =>
            res.destroy(timeoutError('response body', this.host, this.port)),
          );
        }
        resolve({ statusCode: res.statusCode ?? 0, body: res });
      });
      req.on('error', (err) => {
        clearTimers();
        reject(err);
      });
      req.end(options.body);
    });
  }

  /** Closes every connection, idle or in use; open streams end with an error. */
  async close(): Promise<void> {
    this.destroyed = true;
    if (this.loaded) (await this.loaded).agent.destroy();
  }
}

/**
 * Types for the two undici internals the client imports directly: the Pool class and the
 * `request` API, without undici's index. The index also evaluates fetch, WebSocket, caches and
 * mocks that navctl never uses; measured on the build machine, skipping them saves about 80 ms of
 * CPU on every navctl command (`request` is what the index attaches to Dispatcher.prototype).
 * The client tests exercise both, so an undici upgrade that moves them fails loudly.
 */
declare module 'undici/lib/dispatcher/pool.js' {
  import type { Pool } from 'undici';
  const PoolClass: typeof Pool;
  export = PoolClass;
}

declare module 'undici/lib/api/api-request.js' {
  import type { Dispatcher } from 'undici';
  function request(this: Dispatcher, options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData>;
  export = request;
}

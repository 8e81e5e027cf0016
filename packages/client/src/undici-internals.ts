/**
 * The two undici internals the client uses, imported directly instead of through undici's index:
 * the Pool class and the `request` API (which the index attaches to Dispatcher.prototype). The
 * index also evaluates fetch, WebSocket, caches and mocks that the client never uses; measured
 * on the build machine, skipping them saves about 80 ms of CPU on every navctl command. undici
 * ships no types for these paths, hence the casts to its public types; the client tests exercise
 * both, so an undici upgrade that moves them fails loudly.
 */
import type { Dispatcher, Pool } from 'undici';
// @ts-expect-error -- undici has no declarations for its internal paths (see above).
import requestImpl from 'undici/lib/api/api-request.js';
// @ts-expect-error -- undici has no declarations for its internal paths (see above).
import PoolImpl from 'undici/lib/dispatcher/pool.js';

/** undici's Pool class. */
export const PoolClass = PoolImpl as typeof Pool;

/** undici's `dispatcher.request(options)`, called with the dispatcher as `this`. */
export const undiciRequest = requestImpl as (
  this: Dispatcher,
  options: Dispatcher.RequestOptions,
) => Promise<Dispatcher.ResponseData>;

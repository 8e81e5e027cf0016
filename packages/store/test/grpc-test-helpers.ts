/** Small helpers several store tests share (gRPC call statuses, awaited events). */
import type * as grpc from '@grpc/grpc-js';

/** The status a grpc-js call failed with; throws if the call succeeded. */
export async function statusOf(promise: Promise<unknown>): Promise<{ code: number; details: string }> {
  try {
    await promise;
  } catch (error) {
    const { code, details } = error as grpc.ServiceError;
    return { code, details };
  }
  throw new Error('the call succeeded');
}

/** A promise with its resolve function, for events a test awaits. */
export function signal<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/**
 * Watch streams: newline-delimited JSON events, decoded incrementally, and a resuming watcher
 * that reconnects from the last resourceVersion it saw.
 */
import type { KubeObject } from './client.js';
import { StatusError } from './errors.js';

/** One watch event as the API server sends it. */
export interface WatchEvent<T = KubeObject> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

/** Maximum bytes of one event line; a longer line means a broken stream, not a big object. */
export const MAX_WATCH_LINE_BYTES = 16 * 1024 * 1024;

/**
 * Splits a byte stream into JSON lines and decodes each. An ERROR event carrying a Status is
 * thrown as StatusError (e.g. 410 Expired when the resourceVersion is too old).
 */
export async function* decodeWatchStream<T = KubeObject>(
  chunks: AsyncIterable<Buffer>,
): AsyncGenerator<WatchEvent<T>> {
  let pending = '';
  const decoder = new TextDecoder();
  for await (const chunk of chunks) {
    pending += decoder.decode(chunk, { stream: true });
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (line !== '') yield decodeLine<T>(line);
      newline = pending.indexOf('\n');
    }
    if (pending.length > MAX_WATCH_LINE_BYTES) {
      throw new Error(`watch event larger than ${MAX_WATCH_LINE_BYTES} bytes`);
    }
  }
  const rest = (pending + decoder.decode()).trim();
  if (rest !== '') yield decodeLine<T>(rest);
}

function decodeLine<T>(line: string): WatchEvent<T> {
  const event = JSON.parse(line) as WatchEvent<T>;
  if (event.type === 'ERROR') {
    const status = event.object as { code?: number; kind?: string };
    throw new StatusError(status.code ?? 500, status as never);
  }
  return event;
}

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRequestTarget, parseResourcePath } from '../src/request.js';

/** What the server computed before parseRequestTarget: the WHATWG URL parser on every request. */
function byUrl(url: string): { pathname: string; query: Record<string, string> } {
  const parsed = new URL(url, 'https://localhost');
  return { pathname: parsed.pathname, query: Object.fromEntries(parsed.searchParams.entries()) };
}

/** The result of `f`, or the error it threw (URLs the parser rejects must still be rejected). */
function outcome<T>(f: () => T): T | { error: string } {
  try {
    return f();
  } catch (err) {
    return { error: String(err) };
  }
}

describe('parseRequestTarget', () => {
  it('splits the paths and queries clients send as the URL parser does', () => {
    for (const url of [
      '/api/v1/namespaces/bench/pods',
      '/api/v1/namespaces/bench/pods/',
      '/api/v1/namespaces/bench/pods/p-1.x/status?dryRun=All',
      '/apis/apps/v1/deployments?labelSelector=app%3Dweb%2Ctier!%3Dfront&limit=500&continue=abc',
      '/api/v1/pods?watch=1&resourceVersion=17&fieldSelector=spec.nodeName%3Dn1',
      '/api/v1/namespaces/a/configmaps?x=1&x=2',
      '/api/v1/namespaces/a/configmaps?labelSelector=a+b',
      '/api/v1/namespaces/../v1/pods',
      '/api/v1/namespaces/./x/pods',
      '/api//v1/pods',
      '//api/v1/pods',
      '/api/v1/namespaces/a%2Fb/pods',
      '/api/v1/namespaces/sp ace/pods?q=ä',
      '/api/v1/pods#frag?x=1',
      '/api/v1/pods?x=1#frag',
      '/api\\v1\\pods',
      '/',
    ]) {
      expect(
        outcome(() => parseRequestTarget(url)),
        url,
      ).toEqual(outcome(() => byUrl(url)));
    }
  });

  it('agrees with the URL parser on arbitrary request targets', () => {
    // Mostly the characters of real paths (so the fast path is taken), sometimes anything.
    const segment = fc.oneof(
      fc.stringMatching(/^[a-zA-Z0-9.:@%_~-]{0,8}$/),
      fc.stringMatching(/^[a-z0-9.:@%_~\-\\ #?&=+ä\t!*'()]{0,8}$/),
      fc.string({ unit: 'binary', maxLength: 4 }),
    );
    const url = fc
      .array(segment, { minLength: 0, maxLength: 6 })
      .chain((segments) =>
        fc
          .option(
            fc.oneof(
              fc.stringMatching(/^[a-zA-Z0-9=&%+.#?ä!,]{0,16}$/),
              fc.string({ unit: 'binary', maxLength: 6 }),
            ),
            { nil: undefined },
          )
          .map((query) => `/${segments.join('/')}${query === undefined ? '' : `?${query}`}`),
      );
    fc.assert(
      fc.property(url, (u) => {
        expect(outcome(() => parseRequestTarget(u))).toEqual(outcome(() => byUrl(u)));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('parseResourcePath', () => {
  it('decodes percent-encoded segments and leaves plain ones as they are', () => {
    const parsed = parseResourcePath('/api/v1/namespaces/team%2Da/configmaps/web.config');
    expect(parsed.kind).toBe('resource');
    if (parsed.kind !== 'resource') return;
    expect(parsed.path.namespace).toBe('team-a');
    expect(parsed.path.name).toBe('web.config');
    expect(parsed.path.resource.plural).toBe('configmaps');
  });
});

import { ApiError, matchLabels, parseFieldSelector, parseLabelSelector } from '@navarch/apiserver';
import { describe, expect, it } from 'vitest';

describe('label selectors', () => {
  const labels = { app: 'web', tier: 'front', 'example.com/team': 'a' };

  it('parses and matches equality, set and existence requirements', () => {
    const cases: [string, boolean][] = [
      ['', true],
      ['app=web', true],
      ['app==web,tier=front', true],
      ['app!=web', false],
      ['app in (web,api)', true],
      ['tier notin (front)', false],
      ['missing notin (x)', true],
      ['example.com/team', true],
      ['!app', false],
      ['!missing,app', true],
      ['app in (api), tier=front', false],
    ];
    for (const [text, expected] of cases)
      expect(matchLabels(parseLabelSelector(text), labels), text).toBe(expected);
  });

  it('rejects malformed selectors with a 400 Status', () => {
    for (const text of ['a in (b', 'a=b=c', '=b', 'a in b']) {
      let error: unknown;
      try {
        parseLabelSelector(text);
      } catch (err) {
        error = err;
      }
      expect(error, text).toBeInstanceOf(ApiError);
      expect((error as ApiError).httpCode).toBe(400);
    }
  });
});

describe('field selectors', () => {
  it('parses = == and != terms on dotted paths', () => {
    expect(parseFieldSelector('metadata.name=a,spec.nodeName!=n1,status.phase==Running')).toEqual([
      { path: 'metadata.name', equals: true, value: 'a' },
      { path: 'spec.nodeName', equals: false, value: 'n1' },
      { path: 'status.phase', equals: true, value: 'Running' },
    ]);
    expect(() => parseFieldSelector('metadata.name')).toThrow(ApiError);
  });
});

/**
 * The kubeconfig fast-path YAML parser either agrees with the full YAML parser or declines.
 */
import { parseSimpleYaml } from '@navarch/client';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { parse, stringify } from 'yaml';

const kubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: navarch
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJhVENDQVJDZ0F3SUJBZ0lRSmRERSszZjBT==
    insecure-skip-tls-verify: false
contexts:
  - name: navarch
    context:
      cluster: navarch
      user: admin
      namespace: "team-a"
current-context: 'navarch'
preferences: {}
users:
- name: admin
  user:
    token: abc.def-123
`;

describe('parseSimpleYaml', () => {
  test('parses kubeconfig files as the full parser does', () => {
    const simple = parseSimpleYaml(kubeconfig);
    expect(simple).toBeDefined();
    expect(simple).toEqual(parse(kubeconfig));
  });

  test('declines what it does not handle instead of guessing', () => {
    for (const text of [
      'a: |\n  block\n',
      'a: &x 1\nb: *x\n',
      'a: [1, 2]\n',
      'a: 1 # comment\n',
      'a: 1\na: 2\n',
      'a:\n\tb: 1\n',
      'a: b\n  c\n',
      'a: 1\n---\nb: 2\n',
      'a: "\\x41"\n',
      'a: 0x1F\n',
      '"quoted key": 1\n',
    ]) {
      expect(parseSimpleYaml(text), text).toBeUndefined();
    }
  });

  test('agrees with the full parser on generated documents, or declines', () => {
    const key = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/);
    const leaf = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom('true', 'null', '~', '1.5', '-3', 'a: b', 'x #y', "it's", 'https://h:1/p', ''),
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.boolean(),
      fc.constant(null),
    );
    const value = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, leaf, tie('array'), tie('object')),
      array: fc.array(tie('node'), { maxLength: 3 }),
      object: fc.dictionary(key, tie('node'), { maxKeys: 4 }),
    })).node;
    fc.assert(
      fc.property(fc.dictionary(key, value, { maxKeys: 5 }), fc.boolean(), (doc, indentSeq) => {
        const text = stringify(doc, { indentSeq });
        const simple = parseSimpleYaml(text);
        if (simple !== undefined) expect(simple).toEqual(parse(text));
      }),
      { numRuns: 400 },
    );
  });
});

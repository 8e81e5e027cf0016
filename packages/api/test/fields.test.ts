import {
  FieldSelectorError,
  fieldSelectorMatches,
  objectFields,
  type Pod,
  parseFieldSelector,
} from '@navarch/api';
import { describe, expect, it } from 'vitest';

const pod: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web-1', namespace: 'default' },
  spec: { containers: [{ name: 'a', image: 'x' }], nodeName: 'node-1' },
  status: { phase: 'Running' },
};

describe('field selectors', () => {
  it('supports =, == and != on the standard fields', () => {
    expect(fieldSelectorMatches(parseFieldSelector('metadata.name=web-1', 'Pod'), pod)).toBe(true);
    expect(fieldSelectorMatches(parseFieldSelector('metadata.namespace==default', 'Pod'), pod)).toBe(true);
    expect(
      fieldSelectorMatches(parseFieldSelector('spec.nodeName=node-1,status.phase!=Failed', 'Pod'), pod),
    ).toBe(true);
    expect(fieldSelectorMatches(parseFieldSelector('status.phase=Pending', 'Pod'), pod)).toBe(false);
    expect(fieldSelectorMatches(parseFieldSelector('', 'Pod'), pod)).toBe(true);
  });

  it('treats an absent field as empty, so spec.nodeName= selects unscheduled pods', () => {
    const unscheduled: Pod = { ...pod, spec: { containers: [] } };
    expect(fieldSelectorMatches(parseFieldSelector('spec.nodeName=', 'Pod'), unscheduled)).toBe(true);
    expect(fieldSelectorMatches(parseFieldSelector('spec.nodeName=', 'Pod'), pod)).toBe(false);
  });

  it('unescapes \\, \\= and \\\\ in values and renders canonically', () => {
    const selector = parseFieldSelector('metadata.name=a\\,b\\=c\\\\d');
    expect(selector.requirements[0]?.value).toBe('a,b=c\\d');
    expect(selector.toString()).toBe('metadata.name=a\\,b\\=c\\\\d');
  });

  it('exposes per-kind fields', () => {
    const fields = objectFields({
      kind: 'Event',
      metadata: { name: 'e', namespace: 'ns' },
      involvedObject: { kind: 'Pod', name: 'p' },
      source: { component: 'scheduler' },
      type: 'Warning',
    } as never);
    expect(fields['involvedObject.kind']).toBe('Pod');
    expect(fields.source).toBe('scheduler');
    expect(fields.type).toBe('Warning');
    expect(objectFields({ kind: 'Node', metadata: { name: 'n' } })['spec.unschedulable']).toBe('false');
  });

  it('rejects unknown fields with NAVARCH_ERR_FIELD_SELECTOR_UNSUPPORTED and Kubernetes wording', () => {
    let caught: unknown;
    try {
      parseFieldSelector('spec.replicas=3', 'Pod');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(FieldSelectorError);
    expect((caught as FieldSelectorError).code).toBe('NAVARCH_ERR_FIELD_SELECTOR_UNSUPPORTED');
    expect((caught as FieldSelectorError).message).toBe('field label not supported: spec.replicas');
    expect(() => parseFieldSelector('spec.nodeName=x', 'Service')).toThrow(FieldSelectorError);
  });

  it.each(['metadata.name', '=x', 'a=b,,c=d', 'metadata.name=a\\x'])('rejects malformed %j', (input) => {
    expect(() => parseFieldSelector(input)).toThrowError(
      expect.objectContaining({ code: 'NAVARCH_ERR_FIELD_SELECTOR_INVALID' }),
    );
  });
});

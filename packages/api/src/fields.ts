/**
 * Field selectors (k8s.io/apimachinery/pkg/fields): `?fieldSelector=spec.nodeName=n1,
 * status.phase!=Failed`. Terms are ANDed; operators `=`, `==` and `!=`; `\,` `\=` `\!` and
 * `\\` escape those characters in values. Each resource supports a fixed set of fields,
 * as in Kubernetes; selecting on any other field throws FieldSelectorError
 * (NAVARCH_ERR_FIELD_SELECTOR_UNSUPPORTED), a malformed one NAVARCH_ERR_FIELD_SELECTOR_INVALID.
 */
import { FieldSelectorError } from './errors.js';
import type { KubeObject } from './types/meta.js';

/** One term of a field selector. */
export interface FieldRequirement {
  readonly field: string;
  readonly operator: '=' | '==' | '!=';
  readonly value: string;
}

/** A compiled field selector. Immutable. */
export interface FieldSelector {
  readonly requirements: readonly FieldRequirement[];
  /** Whether an object's selectable field values satisfy every term. */
  matches(fields: Readonly<Record<string, string>>): boolean;
  /** Canonical string form (terms sorted by field, values escaped). */
  toString(): string;
}

/** Fields every resource can be selected by. */
const COMMON_FIELDS = ['metadata.name', 'metadata.namespace'];

/** Extra selectable fields per kind, as the Kubernetes registry's GetAttrs functions expose them. */
const FIELDS_BY_KIND: Record<string, string[]> = {
  Pod: [
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'spec.hostNetwork',
    'status.phase',
    'status.podIP',
    'status.nominatedNodeName',
  ],
  Event: [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
  Secret: ['type'],
  Namespace: ['status.phase'],
  Node: ['spec.unschedulable'],
  ReplicaSet: ['status.replicas'],
  PersistentVolumeClaim: [],
  PersistentVolume: [],
};

/** Names of the fields `kind` can be selected by. */
export function selectableFields(kind: string): string[] {
  return [...COMMON_FIELDS, ...(FIELDS_BY_KIND[kind] ?? [])];
}

function text(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : String(value);
}

/**
 * The selectable field values of an object, keyed by field name; absent fields map to ''
 * (as Kubernetes does, so `spec.nodeName=` selects unscheduled pods).
 */
export function objectFields(object: KubeObject): Record<string, string> {
  const fields: Record<string, string> = {
    'metadata.name': text(object.metadata?.name),
    'metadata.namespace': text(object.metadata?.namespace),
  };
  const record = object as unknown as Record<string, Record<string, unknown> | undefined>;
  const kind = object.kind ?? '';
  for (const field of FIELDS_BY_KIND[kind] ?? []) {
    if (field === 'source' && kind === 'Event') {
      fields[field] = text(record.source?.component);
      continue;
    }
    const [head = '', tail] = field.split('.');
    const value = tail === undefined ? record[head] : record[head]?.[tail];
    fields[field] =
      field === 'spec.hostNetwork' || field === 'spec.unschedulable' ? text(value ?? false) : text(value);
  }
  return fields;
}

function escapeValue(value: string): string {
  return value.replace(/[\\,=!]/g, (char) => `\\${char}`);
}

class CompiledFieldSelector implements FieldSelector {
  readonly requirements: readonly FieldRequirement[];
  constructor(requirements: FieldRequirement[]) {
    this.requirements = Object.freeze(
      [...requirements].sort((a, b) => (a.field < b.field ? -1 : a.field > b.field ? 1 : 0)),
    );
  }
  matches(fields: Readonly<Record<string, string>>): boolean {
    return this.requirements.every((term) => {
      const value = fields[term.field] ?? '';
      return term.operator === '!=' ? value !== term.value : value === term.value;
    });
  }
  toString(): string {
    return this.requirements
      .map((term) => `${term.field}${term.operator}${escapeValue(term.value)}`)
      .join(',');
  }
}

/** Splits on unescaped commas, keeping escapes for the term parser. */
function splitTerms(input: string): string[] {
  const terms: string[] = [];
  let current = '';
  for (let index = 0; index < input.length; index += 1) {
    const char = input[index] ?? '';
    if (char === '\\') {
      current += char + (input[index + 1] ?? '');
      index += 1;
    } else if (char === ',') {
      terms.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  terms.push(current);
  return terms;
}

function parseTerm(term: string, input: string): FieldRequirement {
  for (let index = 0; index < term.length; index += 1) {
    const char = term[index];
    if (char === '\\') {
      index += 1;
      continue;
    }
    let operator: FieldRequirement['operator'] | undefined;
    if (char === '!' && term[index + 1] === '=') operator = '!=';
    else if (char === '=' && term[index + 1] === '=') operator = '==';
    else if (char === '=') operator = '=';
    if (operator === undefined) continue;
    const field = term.slice(0, index).trim();
    const raw = term.slice(index + operator.length);
    if (field === '') throw invalid(input, `invalid selector: '${term}'; can't understand '${term}'`);
    return { field, operator, value: unescapeValue(raw, input) };
  }
  throw invalid(input, `invalid selector: '${input}'; can't understand '${term}'`);
}

function unescapeValue(raw: string, input: string): string {
  let value = '';
  for (let index = 0; index < raw.length; index += 1) {
    const char = raw[index] ?? '';
    if (char === '\\') {
      const next = raw[index + 1];
      if (next === undefined || !'\\,=!'.includes(next))
        throw invalid(input, `invalid field selector: invalid escape sequence in '${raw}'`);
      value += next;
      index += 1;
    } else if (char === ',' || char === '=' || (char === '!' && raw[index + 1] === '=')) {
      throw invalid(input, `invalid field selector: unescaped '${char}' in value '${raw}'`);
    } else {
      value += char;
    }
  }
  return value;
}

function invalid(input: string, message: string): FieldSelectorError {
  return new FieldSelectorError('NAVARCH_ERR_FIELD_SELECTOR_INVALID', input, message);
}

/**
 * Parses a field selector. The empty string selects everything. When `kind` is given, every
 * field must be selectable for it (else NAVARCH_ERR_FIELD_SELECTOR_UNSUPPORTED with
 * Kubernetes' message `field label not supported: <field>`).
 */
export function parseFieldSelector(input: string, kind?: string): FieldSelector {
  if (input.trim() === '') return new CompiledFieldSelector([]);
  const requirements = splitTerms(input).map((term) => parseTerm(term, input));
  if (kind !== undefined) {
    const allowed = selectableFields(kind);
    for (const requirement of requirements) {
      if (!allowed.includes(requirement.field)) {
        throw new FieldSelectorError(
          'NAVARCH_ERR_FIELD_SELECTOR_UNSUPPORTED',
          input,
          `field label not supported: ${requirement.field}`,
        );
      }
    }
  }
  return new CompiledFieldSelector(requirements);
}

/** Whether an object satisfies a field selector (kind taken from the object). */
export function fieldSelectorMatches(selector: FieldSelector, object: KubeObject): boolean {
  return selector.matches(objectFields(object));
}

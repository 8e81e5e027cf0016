/**
 * Unit tests of navctl's printers and arithmetic: tabwriter (both flavours), ages, JSONPath,
 * custom columns, tables, YAML/JSON output, manifest parsing with error positions, and the
 * three-way merge behind `apply`.
 */
import {
  applyMergePatch,
  customColumnRows,
  formatTable,
  humanDuration,
  JsonPathTemplate,
  normaliseTemplate,
  parseCustomColumns,
  parseManifests,
  parseOutputFormat,
  renderObjects,
  stableStringify,
  TabWriter,
  tableRows,
  threeWayMergePatch,
  toYaml,
  withLastApplied,
} from '@navarch/cli';
import { WELL_KNOWN_RESOURCES } from '@navarch/client';
import { describe, expect, test } from 'vitest';

const pods = WELL_KNOWN_RESOURCES.find((r) => r.resource === 'pods')!;
const deployments = WELL_KNOWN_RESOURCES.find((r) => r.resource === 'deployments')!;

describe('tabwriter', () => {
  test('pads to the widest cell plus three, at least six, never the last cell', () => {
    expect(
      formatTable([
        ['NAME', 'AGE'],
        ['a', '1s'],
      ]),
    ).toBe('NAME   AGE\na      1s\n');
    expect(
      formatTable([
        ['N', 'X'],
        ['longer-name', 'y'],
      ]),
    ).toBe('N             X\nlonger-name   y\n');
    expect(formatTable([['A', 'B', 'C']])).toBe('A     B     C\n');
  });

  test('remembered widths keep watch rows under the header, as kubectl -w does', () => {
    const w = new TabWriter({ remember: true });
    expect(
      w.format([
        ['NAME', 'STATUS'],
        ['a', 'Pending'],
      ]),
    ).toBe('NAME   STATUS\na      Pending\n');
    expect(w.format([['much-longer', 'Running']])).toBe('much-longerRunning\n');
    expect(w.format([['b', 'Running']])).toBe('b      Running\n');
  });

  test('the Go column-block algorithm aligns describe output per block', async () => {
    const { goTabwrite } = await import('../src/printers/gotabwriter.js');
    expect(goTabwrite('Name:\tx\nNamespace:\tdefault\nContainers:\n  app:\n    Image:\tnginx\n', 0, 2)).toBe(
      'Name:       x\nNamespace:  default\nContainers:\n  app:\n    Image:  nginx\n',
    );
  });
});

describe('ages', () => {
  test.each([
    [0, '0s'],
    [-1500, '0s'],
    [-5000, '<invalid>'],
    [119_000, '119s'],
    [125_000, '2m5s'],
    [600_000, '10m'],
    [3 * 3600_000 + 5 * 60_000, '3h5m'],
    [10 * 3600_000, '10h'],
    [3 * 86400_000 + 4 * 3600_000, '3d4h'],
    [30 * 86400_000, '30d'],
    [3 * 365 * 86400_000, '3y'],
    [9 * 365 * 86400_000, '9y'],
  ])('%d ms prints %s', (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });
});

describe('jsonpath', () => {
  const list = {
    kind: 'List',
    items: [
      {
        metadata: { name: 'a', labels: { 'app.kubernetes.io/name': 'x' } },
        spec: { containers: [{ image: 'i1' }, { image: 'i2' }] },
        status: { phase: 'Running' },
      },
      { metadata: { name: 'b' }, spec: { containers: [{ image: 'i3' }] }, status: { phase: 'Pending' } },
    ],
  };
  test.each([
    ['{.items[*].metadata.name}', 'a b'],
    ['{.items[0].spec.containers[*].image}', 'i1 i2'],
    ['{.items[-1].metadata.name}', 'b'],
    ['{.items[0:1].metadata.name}', 'a'],
    ['{range .items[*]}{.metadata.name}{"\\n"}{end}', 'a\nb\n'],
    ['{range .items[*]}[{.metadata.name},{.status.phase}] {end}', '[a,Running] [b,Pending] '],
    ['{.items[?(@.status.phase=="Pending")].metadata.name}', 'b'],
    ['{..image}', 'i1 i2 i3'],
    ['{.items[0].metadata.labels.app\\.kubernetes\\.io/name}', 'x'],
    ["{.items[0].metadata.labels['app.kubernetes.io/name']}", 'x'],
    ['{.items[*].missing}', ''],
    ['{.kind}', 'List'],
    ['name: {.items[1].metadata.name}', 'name: b'],
    ['{.items[1].spec}', '{"containers":[{"image":"i3"}]}'],
  ])('%s', (template, out) => {
    expect(new JsonPathTemplate(template).execute(list)).toBe(out);
  });

  test('bare expressions get braces, and syntax errors are user errors', () => {
    expect(normaliseTemplate('.metadata.name')).toBe('{.metadata.name}');
    expect(normaliseTemplate('metadata.name')).toBe('{.metadata.name}');
    expect(() => new JsonPathTemplate('{range .items[*]}{.x}')).toThrow(/unclosed range/);
    expect(() => new JsonPathTemplate('{.items[}')).toThrow(/error parsing jsonpath/);
  });
});

describe('output formats', () => {
  const pod = {
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
    spec: { containers: [{ name: 'c', image: 'nginx' }] },
  };

  test('custom columns join several values and print <none> for missing ones', () => {
    const columns = parseCustomColumns(
      'NAME:.metadata.name,IMAGES:.spec.containers[*].image,NODE:.spec.nodeName',
    );
    expect(formatTable(customColumnRows(columns, [pod]))).toBe(
      'NAME   IMAGES   NODE\nweb    nginx    <none>\n',
    );
    expect(() => parseCustomColumns('NAME')).toThrow(/expected <header>:<json-path-expr>/);
  });

  test('-o parses like kubectl and rejects unknown formats', () => {
    expect(parseOutputFormat('wide')).toEqual({ kind: 'table', wide: true });
    expect(() => parseOutputFormat('xml')).toThrow(
      /unable to match a printer suitable for the output format "xml"/,
    );
  });

  test('name, json, yaml (single object vs List)', () => {
    const items = [{ info: pods, object: pod }];
    expect(renderObjects({ kind: 'name' }, items, false)).toBe('pod/web\n');
    expect(renderObjects({ kind: 'name' }, [{ info: deployments, object: pod }], false)).toBe(
      'deployment.apps/web\n',
    );
    const json = renderObjects({ kind: 'json' }, items, true);
    expect(json.startsWith('{\n    "apiVersion": "v1",\n    "kind": "Pod",\n')).toBe(true);
    const yaml = renderObjects({ kind: 'yaml' }, items, false);
    expect(yaml).toBe(
      'apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    labels:\n      app: web\n    name: web\n    namespace: default\n  spec:\n    containers:\n    - image: nginx\n      name: c\nkind: List\nmetadata:\n  resourceVersion: ""\n',
    );
    expect(toYaml({ a: '2026-01-01T00:00:00Z', b: 'yes', c: '80' })).toBe(
      'a: "2026-01-01T00:00:00Z"\nb: "yes"\nc: "80"\n',
    );
  });

  test('server tables: priority columns with -o wide, NAMESPACE and LABELS, kind prefixes', () => {
    const table = {
      kind: 'Table' as const,
      columnDefinitions: [
        { name: 'Name', type: 'string', format: 'name', priority: 0 },
        { name: 'Status', type: 'string', priority: 0 },
        { name: 'IP', type: 'string', priority: 1 },
      ],
      rows: [{ cells: ['web', 'Running', null], object: pod }],
    };
    expect(tableRows(table)).toEqual([
      ['NAME', 'STATUS'],
      ['web', 'Running'],
    ]);
    expect(tableRows(table, { wide: true })).toEqual([
      ['NAME', 'STATUS', 'IP'],
      ['web', 'Running', '<none>'],
    ]);
    expect(tableRows(table, { withNamespace: true, showLabels: true, kindPrefix: 'pod' })).toEqual([
      ['NAMESPACE', 'NAME', 'STATUS', 'LABELS'],
      ['default', 'pod/web', 'Running', 'app=web'],
    ]);
    expect(tableRows(table, { noHeaders: true, eventTypes: ['MODIFIED'] })).toEqual([
      ['MODIFIED', 'web', 'Running'],
    ]);
  });
});

describe('manifests', () => {
  test('multi-document YAML, JSON and Lists', () => {
    const docs = parseManifests(
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n---\n# comment only\n---\n{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b"}}]}\n',
      'f.yaml',
    );
    expect(docs.map((d) => `${d.object.kind}/${d.object.metadata?.name}`)).toEqual(['Pod/a', 'ConfigMap/b']);
  });

  test('syntax errors name the file, line and column', () => {
    expect(() => parseManifests('apiVersion: v1\nkind: Pod\nmetadata:\n  name: [x\n', 'bad.yaml')).toThrow(
      /^error parsing bad.yaml: line [45], column \d+: /,
    );
    expect(() => parseManifests('a: 1\na: 2\n', 'dup.yaml')).toThrow(
      /^error parsing dup.yaml: line 2, column 1: /,
    );
    expect(() => parseManifests('kind: Pod\n', 'k.yaml')).toThrow(/apiVersion not set/);
  });
});

describe('apply arithmetic', () => {
  test('the last-applied annotation is byte-for-byte what kubectl writes', () => {
    const object = withLastApplied({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'x', namespace: 'default' },
      data: { b: '2', a: '1' },
    });
    expect(object.metadata?.annotations?.['kubectl.kubernetes.io/last-applied-configuration']).toBe(
      '{"apiVersion":"v1","data":{"a":"1","b":"2"},"kind":"ConfigMap","metadata":{"annotations":{},"name":"x","namespace":"default"}}\n',
    );
    expect(stableStringify({ b: [1, { d: 1, c: 2 }], a: null })).toBe('{"a":null,"b":[1,{"c":2,"d":1}]}');
  });

  test('three-way merge: additions, changes, deletions of what the file dropped, others left alone', () => {
    const original = { data: { a: '1', b: '2' } };
    const modified = { data: { a: '10', c: '3' } };
    const current = { data: { a: '1', b: '2', foreign: 'x' } };
    const patch = threeWayMergePatch(original, modified, current);
    expect(patch).toEqual({ data: { a: '10', c: '3', b: null } });
    expect(applyMergePatch(current, patch)).toEqual({ data: { a: '10', c: '3', foreign: 'x' } });
  });

  test('server-defaulted fields inside lists are not a change; a real list change sends the list', () => {
    const containers = [{ name: 'c', image: 'nginx' }];
    const live = { spec: { containers: [{ name: 'c', image: 'nginx', imagePullPolicy: 'Always' }] } };
    expect(threeWayMergePatch({ spec: { containers } }, { spec: { containers } }, live)).toEqual({});
    const changed = [{ name: 'c', image: 'nginx:2' }];
    expect(threeWayMergePatch({ spec: { containers } }, { spec: { containers: changed } }, live)).toEqual({
      spec: { containers: changed },
    });
    // Removing a field inside a list element is a change even though the rest is contained.
    const withEnv = [{ name: 'c', image: 'nginx', env: [{ name: 'A', value: '1' }] }];
    expect(
      threeWayMergePatch(
        { spec: { containers: withEnv } },
        { spec: { containers } },
        { spec: { containers: withEnv } },
      ),
    ).toEqual({
      spec: { containers },
    });
  });
});

import { jsonMergePatch, jsonPatch, strategicMergePatch } from '@navarch/apiserver';
import { describe, expect, it } from 'vitest';

describe('JSON merge patch (RFC 7386)', () => {
  it('merges objects, deletes on null and replaces lists whole', () => {
    const target = { a: { b: 1, c: 2 }, list: [1, 2], keep: true };
    expect(jsonMergePatch(target, { a: { b: null, d: 3 }, list: [3] })).toEqual({
      a: { c: 2, d: 3 },
      list: [3],
      keep: true,
    });
    expect(target.a).toEqual({ b: 1, c: 2 });
  });
});

describe('strategic merge patch', () => {
  const spec = {
    containers: [
      {
        name: 'a',
        image: 'x:1',
        ports: [{ containerPort: 80, protocol: 'TCP' }],
        env: [{ name: 'E', value: '1' }],
      },
      { name: 'b', image: 'y:1', volumeMounts: [{ name: 'v', mountPath: '/data' }] },
    ],
    volumes: [{ name: 'v', emptyDir: {} }],
    finalizers: ['f1'],
  };

  it('merges containers by name, ports by containerPort, env by name and volumeMounts by mountPath', () => {
    const out = strategicMergePatch(spec, {
      containers: [
        { name: 'b', image: 'y:2', volumeMounts: [{ name: 'w', mountPath: '/data' }] },
        {
          name: 'a',
          ports: [{ containerPort: 443 }],
          env: [
            { name: 'E', value: '2' },
            { name: 'F', value: '3' },
          ],
        },
      ],
    }) as typeof spec;
    expect(out.containers.map((c) => c.name)).toEqual(['a', 'b']);
    expect(out.containers[0]!.ports!.map((p) => p.containerPort)).toEqual([80, 443]);
    expect(out.containers[0]!.env).toEqual([
      { name: 'E', value: '2' },
      { name: 'F', value: '3' },
    ]);
    expect(out.containers[1]).toMatchObject({
      image: 'y:2',
      volumeMounts: [{ name: 'w', mountPath: '/data' }],
    });
  });

  it('honours $patch delete and replace, $setElementOrder and $deleteFromPrimitiveList', () => {
    const out = strategicMergePatch(spec, {
      containers: [{ name: 'a', $patch: 'delete' }],
      volumes: [{ $patch: 'replace' }, { name: 'z', hostPath: { path: '/z' } }],
      '$deleteFromPrimitiveList/finalizers': ['f1'],
    }) as typeof spec;
    expect(out.containers.map((c) => c.name)).toEqual(['b']);
    expect(out.volumes).toEqual([{ name: 'z', hostPath: { path: '/z' } }]);
    expect(out.finalizers).toEqual([]);
    const ordered = strategicMergePatch(spec, {
      '$setElementOrder/containers': [{ name: 'b' }, { name: 'a' }],
      containers: [{ name: 'a', image: 'x:2' }],
    }) as typeof spec;
    expect(ordered.containers.map((c) => `${c.name}=${c.image}`)).toEqual(['b=y:1', 'a=x:2']);
  });

  it('replaces lists it has no merge key for', () => {
    expect(strategicMergePatch({ args: ['a', 'b'] }, { args: ['c'] })).toEqual({ args: ['c'] });
  });
});

describe('JSON patch (RFC 6902)', () => {
  it('applies add, remove, replace, move, copy and test in order', () => {
    const doc = { a: 1, list: [1, 2], nested: { x: 'y' } };
    const out = jsonPatch(doc, [
      { op: 'test', path: '/a', value: 1 },
      { op: 'add', path: '/list/-', value: 3 },
      { op: 'add', path: '/list/0', value: 0 },
      { op: 'replace', path: '/a', value: 2 },
      { op: 'copy', from: '/nested/x', path: '/copied' },
      { op: 'move', from: '/nested', path: '/moved' },
      { op: 'remove', path: '/list/1' },
    ]);
    expect(out).toEqual({ a: 2, list: [0, 2, 3], copied: 'y', moved: { x: 'y' } });
    expect(doc.list).toEqual([1, 2]);
  });

  it('rejects a failed test and a missing path with a 422 ApiError', () => {
    expect(() => jsonPatch({ a: 1 }, [{ op: 'test', path: '/a', value: 2 }])).toThrow(/test failed/);
    expect(() => jsonPatch({ a: 1 }, [{ op: 'remove', path: '/b' }])).toThrow(/does not exist/);
    expect(() => jsonPatch({}, { op: 'add' })).toThrow(/array/);
  });
});

/**
 * Discovery documents (/api, /apis, APIResourceLists, /version) and the OpenAPI documents
 * kubectl reads: /openapi/v3 (JSON, one document per group/version; the PATCH operations
 * declare `fieldValidation` so kubectl leaves validation to the server) and a minimal
 * /openapi/v2 in protobuf, which is the only encoding client-go accepts for v2.
 */
import { createHash } from 'node:crypto';
import { apiVersionOf, RESOURCES, type ResourceInfo, servedGroups } from './resources.js';

/** Kubernetes version this server answers to (`kubectl version`). */
export const KUBERNETES_VERSION = { major: '1', minor: '32', gitVersion: 'v1.32.0-navarch' };

const verbsNamespacedOrCluster = [
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
];

/** GET /api */
export function apiVersions(serverAddress: string): Record<string, unknown> {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function groupDoc(g: { name: string; versions: string[] }): Record<string, unknown> {
  const versions = g.versions.map((v) => ({ groupVersion: `${g.name}/${v}`, version: v }));
  return { name: g.name, versions, preferredVersion: versions[0] };
}

/**
 * The authorization API answers SelfSubjectAccessReviews (`kubectl auth can-i`); it stores
 * nothing, so it is not in the resource registry.
 */
export const AUTHORIZATION_GROUP = 'authorization.k8s.io';

function allGroups(): { name: string; versions: string[] }[] {
  return [...servedGroups(), { name: AUTHORIZATION_GROUP, versions: ['v1'] }];
}

/** GET /apis */
export function apiGroupList(): Record<string, unknown> {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: allGroups().map(groupDoc) };
}

/** GET /apis/<group>, or undefined when the group is not served. */
export function apiGroup(name: string): Record<string, unknown> | undefined {
  const g = allGroups().find((x) => x.name === name);
  return g ? { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(g) } : undefined;
}

/** GET /api/v1 or /apis/<group>/<version>, or undefined when not served. */
export function apiResourceList(group: string, version: string): Record<string, unknown> | undefined {
  if (group === AUTHORIZATION_GROUP && version === 'v1') {
    return {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: `${AUTHORIZATION_GROUP}/v1`,
      resources: [
        {
          name: 'selfsubjectaccessreviews',
          singularName: 'selfsubjectaccessreview',
          namespaced: false,
          kind: 'SelfSubjectAccessReview',
          verbs: ['create'],
        },
      ],
    };
  }
  const rs = RESOURCES.filter((r) => r.group === group && r.version === version);
  if (rs.length === 0) return undefined;
  const resources: Record<string, unknown>[] = [];
  for (const r of rs) {
    const entry: Record<string, unknown> = {
      name: r.plural,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: verbsNamespacedOrCluster,
    };
    if (r.shortNames.length > 0) entry.shortNames = r.shortNames;
    if (r.categories.length > 0) entry.categories = r.categories;
    entry.storageVersionHash = createHash('sha256')
      .update(`${r.group}/${r.plural}`)
      .digest('base64')
      .slice(0, 11);
    resources.push(entry);
    if (r.subresources.includes('status')) {
      resources.push({
        name: `${r.plural}/status`,
        singularName: '',
        namespaced: r.namespaced,
        kind: r.kind,
        verbs: ['get', 'patch', 'update'],
      });
    }
    if (r.subresources.includes('scale')) {
      resources.push({
        name: `${r.plural}/scale`,
        singularName: '',
        namespaced: r.namespaced,
        group: 'autoscaling',
        version: 'v1',
        kind: 'Scale',
        verbs: ['get', 'patch', 'update'],
      });
    }
  }
  if (group === '' && version === 'v1') {
    resources.push({
      name: 'namespaces/finalize',
      singularName: '',
      namespaced: false,
      kind: 'Namespace',
      verbs: ['update'],
    });
  }
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: apiVersionOf({ group, version }),
    resources,
  };
}

/** GET /version */
export function versionInfo(): Record<string, unknown> {
  return {
    ...KUBERNETES_VERSION,
    gitCommit: 'navarch',
    gitTreeState: 'clean',
    buildDate: '2026-01-01T00:00:00Z',
    goVersion: `node${process.versions.node}`,
    compiler: 'tsc',
    platform: `${process.platform}/${process.arch}`,
  };
}

function gvPath(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

function gvk(r: ResourceInfo): Record<string, string> {
  return { group: r.group, version: r.version, kind: r.kind };
}

function schemaName(r: ResourceInfo): string {
  const g = r.group === '' ? 'core' : r.group.split('.')[0]!;
  return `io.k8s.api.${g}.${r.version}.${r.kind}`;
}

const objectMetaSchema = {
  description:
    'ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.',
  type: 'object',
  properties: {
    name: { description: 'Name must be unique within a namespace.', type: 'string' },
    generateName: {
      description: 'An optional prefix used by the server to generate a unique name.',
      type: 'string',
    },
    namespace: { description: 'The namespace the object lives in.', type: 'string' },
    labels: {
      description: 'Map of string keys and values used to organize and select objects.',
      type: 'object',
      additionalProperties: { type: 'string', default: '' },
    },
    annotations: {
      description: 'Unstructured key value map stored with a resource.',
      type: 'object',
      additionalProperties: { type: 'string', default: '' },
    },
    uid: { description: 'The unique identity of this object, set by the server.', type: 'string' },
    resourceVersion: {
      description: 'The store revision of the last change, for optimistic concurrency and watch.',
      type: 'string',
    },
    generation: {
      description: 'A sequence number representing a specific generation of the desired state.',
      type: 'integer',
      format: 'int64',
    },
    creationTimestamp: { description: 'When this object was created.', type: 'string', format: 'date-time' },
    deletionTimestamp: {
      description: 'When this object will be deleted (set by a graceful delete).',
      type: 'string',
      format: 'date-time',
    },
    finalizers: {
      description: 'Must be empty before the object is deleted from the registry.',
      type: 'array',
      items: { type: 'string', default: '' },
    },
    ownerReferences: {
      description: 'Objects this object depends on.',
      type: 'array',
      items: { type: 'object' },
    },
  },
};

function kindSchema(r: ResourceInfo): Record<string, unknown> {
  return {
    description: `${r.kind} (${apiVersionOf(r)}) as served by Navarch.`,
    type: 'object',
    properties: {
      apiVersion: {
        description: 'APIVersion defines the versioned schema of this representation of an object.',
        type: 'string',
      },
      kind: {
        description: 'Kind is a string value representing the REST resource this object represents.',
        type: 'string',
      },
      metadata: {
        description: 'Standard object metadata.',
        default: {},
        allOf: [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' }],
      },
      spec: {
        description: `Desired state of the ${r.kind}.`,
        type: 'object',
        'x-kubernetes-preserve-unknown-fields': true,
      },
      status: {
        description: `Observed state of the ${r.kind}, written by controllers and agents.`,
        type: 'object',
        'x-kubernetes-preserve-unknown-fields': true,
      },
    },
    'x-kubernetes-group-version-kind': [gvk(r)],
  };
}

const fieldValidationParam = {
  name: 'fieldValidation',
  in: 'query',
  description: 'How the server treats unknown or duplicate fields: Ignore, Warn or Strict.',
  schema: { type: 'string', uniqueItems: true },
};

function operation(r: ResourceInfo, action: string, withFieldValidation: boolean): Record<string, unknown> {
  const op: Record<string, unknown> = {
    description: `${action} ${r.kind}`,
    operationId: `${action}${r.kind}`,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk(r),
    responses: {
      '200': {
        description: 'OK',
        content: { 'application/json': { schema: { $ref: `#/components/schemas/${schemaName(r)}` } } },
      },
    },
  };
  if (withFieldValidation) op.parameters = [fieldValidationParam];
  return op;
}

/** GET /openapi/v3/<gv path>: one OpenAPI 3.0 document for a group/version. */
export function openApiV3GroupVersion(group: string, version: string): Record<string, unknown> | undefined {
  const rs = RESOURCES.filter((r) => r.group === group && r.version === version);
  if (rs.length === 0) return undefined;
  const base = `/${gvPath(group, version)}`;
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {
    'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta': objectMetaSchema,
  };
  for (const r of rs) {
    const collection = r.namespaced ? `${base}/namespaces/{namespace}/${r.plural}` : `${base}/${r.plural}`;
    paths[collection] = { get: operation(r, 'list', false), post: operation(r, 'post', true) };
    paths[`${collection}/{name}`] = {
      get: operation(r, 'get', false),
      put: operation(r, 'put', true),
      patch: operation(r, 'patch', true),
      delete: operation(r, 'delete', false),
    };
    schemas[schemaName(r)] = kindSchema(r);
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Navarch', version: KUBERNETES_VERSION.gitVersion },
    paths,
    components: { schemas },
  };
}

/** GET /openapi/v3: the index of per-group/version documents. */
export function openApiV3Index(): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  const seen = new Set<string>();
  for (const r of RESOURCES) {
    const p = gvPath(r.group, r.version);
    if (seen.has(p)) continue;
    seen.add(p);
    const hash = createHash('sha512')
      .update(JSON.stringify(openApiV3GroupVersion(r.group, r.version)))
      .digest('hex')
      .slice(0, 32)
      .toUpperCase();
    paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${hash}` };
  }
  return { paths };
}

/**
 * GET /openapi/v2 in protobuf (gnostic openapi_v2.Document): only `swagger: "2.0"` and an info
 * block. client-go unmarshals v2 only as protobuf; with no definitions kubectl's client-side
 * schema validation finds no schema and defers to the server, which validates.
 */
export function openApiV2Protobuf(): Buffer {
  const field = (no: number, value: Buffer) =>
    Buffer.concat([Buffer.from([(no << 3) | 2, value.length]), value]);
  const str = (s: string) => Buffer.from(s, 'utf8');
  const info = Buffer.concat([field(1, str('Navarch')), field(2, str(KUBERNETES_VERSION.gitVersion))]);
  return Buffer.concat([field(1, str('2.0')), field(2, info)]);
}

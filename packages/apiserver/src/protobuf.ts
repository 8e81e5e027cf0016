/**
 * Decoding of Kubernetes protobuf request bodies for the few kinds kubectl's generators send
 * that way (`kubectl create namespace|configmap|secret|deployment|service|job`): client-go's typed clients
 * post `application/vnd.kubernetes.protobuf` and do not fall back to JSON. The envelope is
 * `k8s\0` + runtime.Unknown{typeMeta, raw}; `raw` is decoded with the field tables below
 * (field numbers from k8s.io/api generated.proto). Unknown fields are rejected, so nothing a
 * client sent is silently lost.
 */
import { ApiError, unsupportedMediaType } from './errors.js';

type Scalar = 'string' | 'int' | 'bool' | 'bytes' | 'time' | 'intOrString';
interface Field {
  readonly name: string;
  readonly type: Scalar | 'message' | 'stringMap' | 'bytesMap' | 'quantityMap';
  readonly repeated?: boolean;
  readonly omitZero?: boolean;
  readonly message?: Schema;
}
type Schema = Readonly<Record<number, Field>>;

const str = (name: string, repeated = false): Field => ({ name, type: 'string', repeated });
/** `omitZero`: a non-pointer Go field, whose 0 a JSON client would have left out. */
const int = (name: string, omitZero = false): Field => ({ name, type: 'int', omitZero });
const msg = (name: string, message: Schema, repeated = false): Field => ({
  name,
  type: 'message',
  message,
  repeated,
});

const ownerReference: Schema = {
  1: str('kind'),
  3: str('name'),
  4: str('uid'),
  5: str('apiVersion'),
  6: { name: 'controller', type: 'bool' },
  7: { name: 'blockOwnerDeletion', type: 'bool' },
};
const objectMeta: Schema = {
  1: str('name'),
  2: str('generateName'),
  3: str('namespace'),
  5: str('uid'),
  6: str('resourceVersion'),
  7: int('generation', true),
  8: { name: 'creationTimestamp', type: 'time' },
  11: { name: 'labels', type: 'stringMap' },
  12: { name: 'annotations', type: 'stringMap' },
  13: msg('ownerReferences', ownerReference, true),
  14: str('finalizers', true),
};
const labelSelector: Schema = {
  1: { name: 'matchLabels', type: 'stringMap' },
  2: msg('matchExpressions', { 1: str('key'), 2: str('operator'), 3: str('values', true) }, true),
};
const resourceList: Field = { name: '', type: 'quantityMap' };
const container: Schema = {
  1: str('name'),
  2: str('image'),
  3: str('command', true),
  4: str('args', true),
  5: str('workingDir'),
  6: msg(
    'ports',
    {
      1: str('name'),
      2: int('hostPort', true),
      3: int('containerPort'),
      4: str('protocol'),
      5: str('hostIP'),
    },
    true,
  ),
  7: msg('env', { 1: str('name'), 2: str('value') }, true),
  // ResourceRequirements: limits=1, requests=2 are map<string, Quantity{string=1}>; kubectl sends them empty.
  8: msg('resources', { 1: { ...resourceList, name: 'limits' }, 2: { ...resourceList, name: 'requests' } }),
  13: str('terminationMessagePath'),
  14: str('imagePullPolicy'),
  16: { name: 'stdin', type: 'bool' },
  18: { name: 'tty', type: 'bool' },
  20: str('terminationMessagePolicy'),
};
const podSpec: Schema = {
  2: msg('containers', container, true),
  3: str('restartPolicy'),
  4: int('terminationGracePeriodSeconds'),
  6: str('dnsPolicy'),
  8: str('serviceAccountName'),
  10: str('nodeName'),
  14: msg('securityContext', {}),
  19: str('schedulerName'),
};
const podTemplate: Schema = { 1: msg('metadata', objectMeta), 2: msg('spec', podSpec) };
const deploymentSpec: Schema = {
  1: int('replicas'),
  2: msg('selector', labelSelector),
  3: msg('template', podTemplate),
  4: msg('strategy', {
    1: str('type'),
    2: msg('rollingUpdate', {
      1: { name: 'maxUnavailable', type: 'intOrString' },
      2: { name: 'maxSurge', type: 'intOrString' },
    }),
  }),
  5: int('minReadySeconds', true),
  6: int('revisionHistoryLimit'),
  7: { name: 'paused', type: 'bool' },
  9: int('progressDeadlineSeconds'),
};

const serviceSpec: Schema = {
  1: msg(
    'ports',
    {
      1: str('name'),
      2: str('protocol'),
      3: int('port'),
      4: { name: 'targetPort', type: 'intOrString' },
      5: int('nodePort', true),
      6: str('appProtocol'),
    },
    true,
  ),
  2: { name: 'selector', type: 'stringMap' },
  3: str('clusterIP'),
  4: str('type'),
  5: str('externalIPs', true),
  7: str('sessionAffinity'),
  10: str('externalName'),
  11: str('externalTrafficPolicy'),
};
const jobSpec: Schema = {
  1: int('parallelism'),
  2: int('completions'),
  3: int('activeDeadlineSeconds'),
  4: msg('selector', labelSelector),
  6: msg('template', podTemplate),
  7: int('backoffLimit'),
  8: int('ttlSecondsAfterFinished'),
};

/** Top-level schemas by `apiVersion/kind`. */
const kinds: Readonly<Record<string, Schema>> = {
  'v1/Namespace': {
    1: msg('metadata', objectMeta),
    2: msg('spec', { 1: str('finalizers', true) }),
    3: msg('status', { 1: str('phase') }),
  },
  'v1/ConfigMap': {
    1: msg('metadata', objectMeta),
    2: { name: 'data', type: 'stringMap' },
    3: { name: 'binaryData', type: 'bytesMap' },
    4: { name: 'immutable', type: 'bool' },
  },
  'v1/Secret': {
    1: msg('metadata', objectMeta),
    2: { name: 'data', type: 'bytesMap' },
    3: str('type'),
    4: { name: 'stringData', type: 'stringMap' },
    5: { name: 'immutable', type: 'bool' },
  },
  'v1/Service': { 1: msg('metadata', objectMeta), 2: msg('spec', serviceSpec), 3: msg('status', {}) },
  'batch/v1/Job': { 1: msg('metadata', objectMeta), 2: msg('spec', jobSpec), 3: msg('status', {}) },
  'apps/v1/Deployment': {
    1: msg('metadata', objectMeta),
    2: msg('spec', deploymentSpec),
    3: msg('status', {}),
  },
};

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw malformed('truncated varint');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 70n) throw malformed('varint too long');
    }
  }
  bytes(): Buffer {
    const len = Number(this.varint());
    if (this.pos + len > this.buf.length) throw malformed('truncated field');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 2) this.bytes();
    else if (wireType === 1) this.pos += 8;
    else if (wireType === 5) this.pos += 4;
    else throw malformed(`unsupported wire type ${wireType}`);
  }
}

function malformed(why: string): ApiError {
  return new ApiError(400, 'BadRequest', `malformed protobuf body: ${why}`, 'NAVARCH_ERR_BAD_PROTOBUF');
}

function signed(v: bigint): number {
  return Number(BigInt.asIntN(64, v));
}

function decodeMapEntry(buf: Buffer, valueType: 'stringMap' | 'bytesMap' | 'quantityMap'): [string, string] {
  const r = new Reader(buf);
  let key = '';
  let value = '';
  while (!r.done) {
    const tag = Number(r.varint());
    const no = tag >> 3;
    if ((tag & 7) !== 2) throw malformed('map entry field is not length-delimited');
    const b = r.bytes();
    if (no === 1) key = b.toString('utf8');
    else if (no === 2) {
      if (valueType === 'bytesMap') value = b.toString('base64');
      // Resource lists hold Quantity{string=1} messages.
      else if (valueType === 'quantityMap')
        value = String(decodeMessage(b, { 1: str('string') }, 'quantity').string ?? '');
      else value = b.toString('utf8');
    }
  }
  return [key, value];
}

function decodeMessage(buf: Buffer, schema: Schema, path: string): Record<string, unknown> {
  const r = new Reader(buf);
  const out: Record<string, unknown> = {};
  while (!r.done) {
    const tag = Number(r.varint());
    const no = tag >> 3;
    const wire = tag & 7;
    const field = schema[no];
    if (!field) {
      // gogo-protobuf writes every non-pointer field, set or not: skip the empty ones.
      const start = r.pos;
      r.skip(wire);
      const payload = r.buf.subarray(start, r.pos);
      if ((wire === 0 || wire === 2) && payload.length === 1 && payload[0] === 0) continue;
      throw new ApiError(
        400,
        'BadRequest',
        `protobuf body has field ${no} at ${path || '<root>'} that this server does not decode; send JSON instead`,
        'NAVARCH_ERR_BAD_PROTOBUF',
      );
    }
    let value: unknown;
    switch (field.type) {
      case 'string':
        value = r.bytes().toString('utf8');
        // Unset strings arrive as ''; a JSON client would have omitted them.
        if (value === '' && !field.repeated) continue;
        break;
      case 'bytes':
        value = r.bytes().toString('base64');
        break;
      case 'int':
        value = signed(r.varint());
        if (value === 0 && field.omitZero) continue;
        break;
      case 'bool':
        value = r.varint() !== 0n;
        if (value === false) continue;
        break;
      case 'time': {
        const t = decodeMessage(r.bytes(), { 1: int('seconds'), 2: int('nanos') }, path);
        if (!t.seconds) continue;
        value = `${new Date(Number(t.seconds) * 1000).toISOString().slice(0, 19)}Z`;
        break;
      }
      case 'intOrString': {
        const t = decodeMessage(r.bytes(), { 1: int('type'), 2: int('intVal'), 3: str('strVal') }, path);
        value = t.type === 1 ? t.strVal : (t.intVal ?? 0);
        break;
      }
      case 'stringMap':
      case 'bytesMap':
      case 'quantityMap': {
        if (wire !== 2) throw malformed(`field ${field.name} is not length-delimited`);
        const [k, v] = decodeMapEntry(r.bytes(), field.type);
        const map = (out[field.name] as Record<string, string> | undefined) ?? {};
        map[k] = v;
        out[field.name] = map;
        continue;
      }
      case 'message':
        value = decodeMessage(r.bytes(), field.message ?? {}, `${path}.${field.name}`);
        break;
    }
    if (field.repeated) {
      const list = (out[field.name] as unknown[] | undefined) ?? [];
      list.push(value);
      out[field.name] = list;
    } else {
      out[field.name] = value;
    }
  }
  return out;
}

/** Decodes a `application/vnd.kubernetes.protobuf` body into the JSON object it encodes. */
export function decodeKubernetesProtobuf(body: Buffer, contentType: string): Record<string, unknown> {
  if (body.length < 4 || body.subarray(0, 4).toString('latin1') !== 'k8s\0')
    throw malformed('missing the k8s envelope');
  const unknown = decodeMessage(
    body.subarray(4),
    {
      1: msg('typeMeta', { 1: str('apiVersion'), 2: str('kind') }),
      2: { name: 'raw', type: 'bytes' },
      3: str('contentEncoding'),
      4: str('contentType'),
    },
    '',
  );
  const typeMeta = (unknown.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
  const schema = kinds[`${typeMeta.apiVersion}/${typeMeta.kind}`];
  if (!schema)
    throw unsupportedMediaType(`${contentType} for ${typeMeta.apiVersion}/${typeMeta.kind} (send JSON)`);
  const raw = Buffer.from(String(unknown.raw ?? ''), 'base64');
  return { apiVersion: typeMeta.apiVersion, kind: typeMeta.kind, ...decodeMessage(raw, schema, '') };
}

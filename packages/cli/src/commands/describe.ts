/**
 * `navctl describe`: the object and its events, laid out as kubectl lays it out (Go tabwriter,
 * padding 2): Name:, Namespace:, Labels:, Annotations:, kind-specific sections, Events:.
 */

import { isStatus, type KubeObject, type ResourceInfo } from '@navarch/client';
import { resolveResourceArgs } from '../builder.js';
import type { Factory } from '../context.js';
import { ExitSignal, formatError } from '../errors.js';
import { io } from '../io.js';
import { LAST_APPLIED } from '../merge.js';
import { humanDuration } from '../printers/age.js';
import { goTabwrite } from '../printers/gotabwriter.js';
import { noResourcesMessage } from './get.js';

// biome-ignore lint/suspicious/noExplicitAny: describers walk arbitrary JSON.
type Any = any;

/** Collects `\t`-separated lines at indentation levels (kubectl's PrefixWriter). */
class Out {
  private text = '';
  line(level: number, ...cells: string[]): void {
    this.text += `${'  '.repeat(level)}${cells.join('\t')}\n`;
  }
  toString(): string {
    return goTabwrite(this.text, 0, 2);
  }
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** RFC 1123 with numeric zone in UTC (`Mon, 02 Jan 2006 15:04:05 +0000`), kubectl's time format. */
export function formatTime(timestamp: string | undefined): string {
  if (!timestamp) return '<unset>';
  const d = new Date(timestamp);
  if (Number.isNaN(d.getTime())) return timestamp;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${WEEKDAYS[d.getUTCDay()]}, ${p(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

function map(
  out: Out,
  level: number,
  title: string,
  values: Record<string, string> | undefined,
  skip: string[] = [],
) {
  const keys = Object.keys(values ?? {})
    .filter((k) => !skip.includes(k))
    .sort();
  if (keys.length === 0) {
    out.line(level, `${title}:`, '<none>');
    return;
  }
  keys.forEach((k, i) => {
    const text = `${k}=${values?.[k]}`;
    if (i === 0) out.line(level, `${title}:`, text);
    else out.line(level, '', text);
  });
}

function header(out: Out, o: Any, info: ResourceInfo) {
  out.line(0, 'Name:', o.metadata?.name ?? '');
  if (info.namespaced) out.line(0, 'Namespace:', o.metadata?.namespace ?? '');
}

function labelsAndAnnotations(out: Out, o: Any) {
  map(out, 0, 'Labels', o.metadata?.labels);
  map(out, 0, 'Annotations', o.metadata?.annotations, [LAST_APPLIED]);
}

function selector(sel: Any): string {
  const labels = sel?.matchLabels ?? sel ?? {};
  const parts = Object.keys(labels)
    .filter((k) => typeof labels[k] === 'string')
    .sort()
    .map((k) => `${k}=${labels[k]}`);
  for (const e of sel?.matchExpressions ?? [])
    parts.push(`${e.key} ${String(e.operator).toLowerCase()} (${(e.values ?? []).join(',')})`);
  return parts.length === 0 ? '<none>' : parts.join(',');
}

function resources(out: Out, level: number, title: string, values: Record<string, string> | undefined) {
  if (!values || Object.keys(values).length === 0) return;
  out.line(level, `${title}:`);
  for (const k of Object.keys(values).sort()) out.line(level + 1, `${k}:`, values[k] as string);
}

function containerState(out: Out, level: number, title: string, state: Any) {
  if (state?.running) {
    out.line(level, `${title}:`, 'Running');
    out.line(level + 1, 'Started:', formatTime(state.running.startedAt));
  } else if (state?.waiting) {
    out.line(level, `${title}:`, 'Waiting');
    if (state.waiting.reason) out.line(level + 1, 'Reason:', state.waiting.reason);
  } else if (state?.terminated) {
    out.line(level, `${title}:`, 'Terminated');
    if (state.terminated.reason) out.line(level + 1, 'Reason:', state.terminated.reason);
    out.line(level + 1, 'Exit Code:', String(state.terminated.exitCode ?? 0));
    out.line(level + 1, 'Started:', formatTime(state.terminated.startedAt));
    out.line(level + 1, 'Finished:', formatTime(state.terminated.finishedAt));
  } else {
    out.line(level, `${title}:`, 'Waiting');
  }
}

function containers(out: Out, level: number, title: string, list: Any[], statuses: Any[] | undefined) {
  if (!list || list.length === 0) return;
  out.line(level, `${title}:`);
  for (const c of list) {
    const status = statuses?.find((s) => s.name === c.name);
    out.line(level + 1, `${c.name}:`);
    if (status?.containerID) out.line(level + 2, 'Container ID:', status.containerID);
    out.line(level + 2, 'Image:', c.image ?? '');
    if (status?.imageID) out.line(level + 2, 'Image ID:', status.imageID);
    const ports: Any[] = c.ports ?? [];
    if (ports.length === 0) out.line(level + 2, 'Port:', '<none>');
    else
      out.line(
        level + 2,
        ports.length > 1 ? 'Ports:' : 'Port:',
        ports.map((p) => `${p.containerPort}/${p.protocol ?? 'TCP'}`).join(', '),
      );
    if (c.command) out.line(level + 2, 'Command:', c.command.join(' '));
    if (c.args) out.line(level + 2, 'Args:', c.args.join(' '));
    if (statuses) {
      containerState(out, level + 2, 'State', status?.state);
      if (status?.lastState && Object.keys(status.lastState).length > 0)
        containerState(out, level + 2, 'Last State', status.lastState);
      out.line(level + 2, 'Ready:', status?.ready ? 'True' : 'False');
      out.line(level + 2, 'Restart Count:', String(status?.restartCount ?? 0));
    }
    resources(out, level + 2, 'Limits', c.resources?.limits);
    resources(out, level + 2, 'Requests', c.resources?.requests);
    for (const [name, probe] of [
      ['Liveness', c.livenessProbe],
      ['Readiness', c.readinessProbe],
      ['Startup', c.startupProbe],
    ] as const) {
      if (probe) out.line(level + 2, `${name}:`, probeText(probe));
    }
    const env: Any[] = c.env ?? [];
    const envFrom: Any[] = c.envFrom ?? [];
    if (envFrom.length > 0) {
      out.line(level + 2, 'Environment Variables from:');
      for (const e of envFrom) {
        const ref = e.configMapRef ? `${e.configMapRef.name}\tConfigMap` : `${e.secretRef?.name}\tSecret`;
        out.line(level + 3, `${ref}\tOptional: ${Boolean((e.configMapRef ?? e.secretRef)?.optional)}`);
      }
    }
    if (env.length === 0) out.line(level + 2, 'Environment:', '<none>');
    else {
      out.line(level + 2, 'Environment:');
      for (const e of env) {
        let value = e.value ?? '';
        const from = e.valueFrom;
        if (from?.secretKeyRef)
          value = `<set to the key '${from.secretKeyRef.key}' in secret '${from.secretKeyRef.name}'>`;
        else if (from?.configMapKeyRef)
          value = `<set to the key '${from.configMapKeyRef.key}' of config map '${from.configMapKeyRef.name}'>`;
        else if (from?.fieldRef) value = `(${from.fieldRef.apiVersion ?? 'v1'}:${from.fieldRef.fieldPath})`;
        out.line(level + 3, `${e.name}:`, String(value));
      }
    }
    const mounts: Any[] = c.volumeMounts ?? [];
    if (mounts.length === 0) out.line(level + 2, 'Mounts:', '<none>');
    else {
      out.line(level + 2, 'Mounts:');
      for (const m of mounts)
        out.line(level + 3, `${m.mountPath} from ${m.name} (${m.readOnly ? 'ro' : 'rw'})`);
    }
  }
}

function probeText(p: Any): string {
  let action = 'unknown';
  if (p.httpGet)
    action = `http-get ${p.httpGet.scheme === 'HTTPS' ? 'https' : 'http'}://${p.httpGet.host ?? ''}:${p.httpGet.port}${p.httpGet.path ?? ''}`;
  else if (p.tcpSocket) action = `tcp-socket ${p.tcpSocket.host ?? ''}:${p.tcpSocket.port}`;
  else if (p.exec) action = `exec [${(p.exec.command ?? []).join(' ')}]`;
  else if (p.grpc) action = `grpc <pod>:${p.grpc.port} ${p.grpc.service ?? ''}`;
  return `${action} delay=${p.initialDelaySeconds ?? 0}s timeout=${p.timeoutSeconds ?? 1}s period=${p.periodSeconds ?? 10}s #success=${p.successThreshold ?? 1} #failure=${p.failureThreshold ?? 3}`;
}

function volumes(out: Out, level: number, list: Any[] | undefined) {
  if (!list || list.length === 0) {
    out.line(level, 'Volumes:', '<none>');
    return;
  }
  out.line(level, 'Volumes:');
  for (const v of list) {
    out.line(level + 1, `${v.name}:`);
    const kind = Object.keys(v).find((k) => k !== 'name') ?? '';
    out.line(level + 2, 'Type:', kind);
    for (const [k, val] of Object.entries(v[kind] ?? {})) {
      out.line(
        level + 2,
        `${k.charAt(0).toUpperCase()}${k.slice(1)}:`,
        typeof val === 'object' ? JSON.stringify(val) : String(val),
      );
    }
  }
}

function podTemplate(out: Out, template: Any) {
  out.line(0, 'Pod Template:');
  map(out, 1, 'Labels', template?.metadata?.labels);
  if (template?.metadata?.annotations) map(out, 1, 'Annotations', template.metadata.annotations);
  containers(out, 1, 'Init Containers', template?.spec?.initContainers ?? [], undefined);
  containers(out, 1, 'Containers', template?.spec?.containers ?? [], undefined);
  volumes(out, 1, template?.spec?.volumes);
  out.line(1, 'Node-Selectors:', selector(template?.spec?.nodeSelector));
  out.line(
    1,
    'Tolerations:',
    (template?.spec?.tolerations ?? []).length === 0 ? '<none>' : JSON.stringify(template.spec.tolerations),
  );
}

function conditions(out: Out, list: Any[] | undefined, columns: string[]) {
  if (!list || list.length === 0) return;
  out.line(0, 'Conditions:');
  out.line(1, ...columns);
  out.line(1, ...columns.map((c) => '-'.repeat(c.length)));
  for (const c of list) {
    const cells = columns.map((col) => {
      const key = col.charAt(0).toLowerCase() + col.slice(1);
      return String(c[key] ?? '');
    });
    out.line(1, ...cells);
  }
}

/** The pod's QoS class from its containers' requests and limits (what the API server would set). */
function qosClass(list: Any[]): string {
  let any = false;
  let guaranteed = true;
  for (const c of list) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    if (Object.keys(req).length > 0 || Object.keys(lim).length > 0) any = true;
    for (const r of ['cpu', 'memory']) {
      const want = req[r] ?? lim[r];
      if (lim[r] === undefined || want !== lim[r]) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

function describePod(out: Out, o: Any, info: ResourceInfo) {
  header(out, o, info);
  out.line(0, 'Priority:', String(o.spec?.priority ?? 0));
  out.line(0, 'Service Account:', o.spec?.serviceAccountName ?? 'default');
  out.line(0, 'Node:', o.spec?.nodeName ? `${o.spec.nodeName}/${o.status?.hostIP ?? ''}` : '<none>');
  if (o.status?.startTime) out.line(0, 'Start Time:', formatTime(o.status.startTime));
  labelsAndAnnotations(out, o);
  out.line(0, 'Status:', o.metadata?.deletionTimestamp ? 'Terminating' : (o.status?.phase ?? 'Pending'));
  if (o.status?.reason) out.line(0, 'Reason:', o.status.reason);
  if (o.status?.message) out.line(0, 'Message:', o.status.message);
  out.line(0, 'IP:', o.status?.podIP ?? '');
  const ips: Any[] = o.status?.podIPs ?? [];
  if (ips.length === 0) out.line(0, 'IPs:', '<none>');
  else {
    out.line(0, 'IPs:');
    for (const ip of ips) out.line(1, 'IP:', ip.ip);
  }
  const controller = (o.metadata?.ownerReferences ?? []).find((r: Any) => r.controller);
  if (controller) out.line(0, 'Controlled By:', `${controller.kind}/${controller.name}`);
  containers(out, 0, 'Init Containers', o.spec?.initContainers ?? [], o.status?.initContainerStatuses ?? []);
  containers(out, 0, 'Containers', o.spec?.containers ?? [], o.status?.containerStatuses ?? []);
  conditions(out, o.status?.conditions, ['Type', 'Status']);
  volumes(out, 0, o.spec?.volumes);
  out.line(0, 'QoS Class:', o.status?.qosClass ?? qosClass(o.spec?.containers ?? []));
  out.line(0, 'Node-Selectors:', selector(o.spec?.nodeSelector));
  const tolerations: Any[] = o.spec?.tolerations ?? [];
  out.line(
    0,
    'Tolerations:',
    tolerations.length === 0
      ? '<none>'
      : tolerations
          .map((t) => `${t.key ?? ''}${t.operator === 'Exists' ? '' : `=${t.value ?? ''}`}:${t.effect ?? ''}`)
          .join(', '),
  );
}

function describeWorkload(out: Out, o: Any, info: ResourceInfo) {
  header(out, o, info);
  out.line(0, 'CreationTimestamp:', formatTime(o.metadata?.creationTimestamp));
  labelsAndAnnotations(out, o);
  out.line(0, 'Selector:', selector(o.spec?.selector));
  const s = o.status ?? {};
  if (info.resource === 'deployments') {
    out.line(
      0,
      'Replicas:',
      `${o.spec?.replicas ?? 1} desired | ${s.updatedReplicas ?? 0} updated | ${s.replicas ?? 0} total | ${s.availableReplicas ?? 0} available | ${s.unavailableReplicas ?? 0} unavailable`,
    );
    out.line(0, 'StrategyType:', o.spec?.strategy?.type ?? 'RollingUpdate');
    out.line(0, 'MinReadySeconds:', String(o.spec?.minReadySeconds ?? 0));
    const ru = o.spec?.strategy?.rollingUpdate;
    if ((o.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate') {
      out.line(
        0,
        'RollingUpdateStrategy:',
        `${ru?.maxUnavailable ?? '25%'} max unavailable, ${ru?.maxSurge ?? '25%'} max surge`,
      );
    }
  } else {
    const controller = (o.metadata?.ownerReferences ?? []).find((r: Any) => r.controller);
    if (controller) out.line(0, 'Controlled By:', `${controller.kind}/${controller.name}`);
    out.line(0, 'Replicas:', `${s.replicas ?? 0} current / ${o.spec?.replicas ?? 1} desired`);
    out.line(0, 'Pods Status:', `${s.readyReplicas ?? 0} Running / 0 Waiting / 0 Succeeded / 0 Failed`);
  }
  podTemplate(out, o.spec?.template);
  conditions(out, s.conditions, ['Type', 'Status', 'Reason']);
}

function describeService(out: Out, o: Any, info: ResourceInfo) {
  header(out, o, info);
  labelsAndAnnotations(out, o);
  out.line(0, 'Selector:', selector(o.spec?.selector));
  out.line(0, 'Type:', o.spec?.type ?? 'ClusterIP');
  out.line(0, 'IP Family Policy:', o.spec?.ipFamilyPolicy ?? 'SingleStack');
  out.line(0, 'IP Families:', (o.spec?.ipFamilies ?? ['IPv4']).join(','));
  out.line(0, 'IP:', o.spec?.clusterIP ?? '');
  out.line(0, 'IPs:', (o.spec?.clusterIPs ?? [o.spec?.clusterIP ?? '']).join(','));
  for (const p of o.spec?.ports ?? []) {
    const name = p.name || '<unset>';
    out.line(0, 'Port:', `${name}  ${p.port}/${p.protocol ?? 'TCP'}`);
    out.line(0, 'TargetPort:', `${p.targetPort ?? p.port}/${p.protocol ?? 'TCP'}`);
    if (p.nodePort) out.line(0, 'NodePort:', `${name}  ${p.nodePort}/${p.protocol ?? 'TCP'}`);
  }
  out.line(0, 'Session Affinity:', o.spec?.sessionAffinity ?? 'None');
  out.line(0, 'Internal Traffic Policy:', o.spec?.internalTrafficPolicy ?? 'Cluster');
}

function title(key: string): string {
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** kubectl's generic describer: every field, nested, with camelCase keys as Title Case. */
function describeValue(out: Out, level: number, key: string, value: unknown) {
  if (Array.isArray(value)) {
    if (value.length === 0) return;
    out.line(level, `${title(key)}:`);
    for (const item of value) {
      if (item !== null && typeof item === 'object') {
        const entries = Object.entries(item);
        entries.forEach(([k, v], i) => {
          const prefix = i === 0 ? '  ' : '  ';
          if (v !== null && typeof v === 'object') describeValue(out, level + 1, k, v);
          else out.line(level + 1, `${prefix.trim()}${title(k)}:`, String(v));
        });
      } else out.line(level + 1, String(item));
    }
    return;
  }
  if (value !== null && typeof value === 'object') {
    out.line(level, `${title(key)}:`);
    for (const [k, v] of Object.entries(value)) describeValue(out, level + 1, k, v);
    return;
  }
  out.line(level, `${title(key)}:`, String(value));
}

function describeGeneric(out: Out, o: Any, info: ResourceInfo) {
  header(out, o, info);
  labelsAndAnnotations(out, o);
  out.line(0, 'API Version:', o.apiVersion ?? (info.group ? `${info.group}/${info.version}` : info.version));
  out.line(0, 'Kind:', o.kind ?? info.kind);
  for (const [k, v] of Object.entries(o)) {
    if (k === 'apiVersion' || k === 'kind' || k === 'metadata') continue;
    if (info.resource === 'secrets' && (k === 'data' || k === 'stringData') && v && typeof v === 'object') {
      out.line(0, 'Data');
      out.line(0, '====');
      for (const [name, data] of Object.entries(v as Record<string, string>)) {
        out.line(0, `${name}:`, `${Buffer.from(String(data), 'base64').length} bytes`);
      }
      continue;
    }
    describeValue(out, 0, k, v);
  }
}

async function events(out: Out, factory: Factory, o: Any, info: ResourceInfo, nowMs: number): Promise<void> {
  const client = factory.client();
  const eventsInfo = await client.discovery.resolve('events');
  const ns = info.namespaced ? o.metadata?.namespace : undefined;
  let items: Any[] = [];
  const matches = (e: Any) =>
    e.involvedObject?.name === o.metadata?.name &&
    (e.involvedObject?.uid === undefined ||
      o.metadata?.uid === undefined ||
      e.involvedObject.uid === o.metadata.uid) &&
    (!info.namespaced || e.involvedObject?.namespace === undefined || e.involvedObject.namespace === ns);
  try {
    const list = await client.list(eventsInfo, ns ?? (info.namespaced ? undefined : 'default'), {
      fieldSelector: `involvedObject.name=${o.metadata?.name}`,
    });
    items = (list.items ?? []).filter(matches);
  } catch (err) {
    if (!(isStatus(err, 400) || isStatus(err, 404))) throw err;
    try {
      const list = await client.list(eventsInfo, ns);
      items = (list.items ?? []).filter(matches);
    } catch {
      items = [];
    }
  }
  if (items.length === 0) {
    out.line(0, 'Events:', '<none>');
    return;
  }
  const when = (e: Any) => e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp ?? '';
  items.sort((a, b) => (when(a) < when(b) ? -1 : when(a) > when(b) ? 1 : 0));
  out.line(0, 'Events:');
  out.line(1, 'Type', 'Reason', 'Age', 'From', 'Message');
  out.line(1, '----', '------', '----', '----', '-------');
  for (const e of items) {
    const last = Date.parse(when(e));
    const first = Date.parse(e.firstTimestamp ?? when(e));
    let age = Number.isNaN(last) ? '<unknown>' : humanDuration(nowMs - last);
    if ((e.count ?? 1) > 1 && !Number.isNaN(first))
      age = `${age} (x${e.count} over ${humanDuration(nowMs - first)})`;
    const from = [e.source?.component ?? e.reportingComponent ?? '', e.source?.host ?? '']
      .filter((s) => s)
      .join(', ');
    out.line(1, e.type ?? '', e.reason ?? '', age, from, String(e.message ?? '').trim());
  }
}

/** Renders one object as `navctl describe` prints it (without the events section). */
export function describeObject(o: KubeObject, info: ResourceInfo): string {
  const out = new Out();
  describeInto(out, o, info);
  return out.toString();
}

function describeInto(out: Out, o: KubeObject, info: ResourceInfo): void {
  if (info.resource === 'pods') describePod(out, o, info);
  else if (
    info.resource === 'deployments' ||
    info.resource === 'replicasets' ||
    info.resource === 'statefulsets'
  )
    describeWorkload(out, o, info);
  else if (info.resource === 'services') describeService(out, o, info);
  else describeGeneric(out, o, info);
}

/** `navctl describe TYPE [NAME...]` (also `TYPE/NAME`, `-l`, `-A`). */
export async function runDescribe(
  factory: Factory,
  args: string[],
  flags: Record<string, unknown>,
): Promise<void> {
  const { requests } = await resolveResourceArgs(factory, args);
  const client = factory.client();
  const namespace = flags.allNamespaces ? undefined : factory.namespace();
  const nowMs = Date.now();
  const blocks: string[] = [];
  let failed = false;
  let seen = 0;
  for (const req of requests) {
    const ns = req.info.namespaced ? namespace : undefined;
    let objects: KubeObject[] = [];
    if (req.names.length === 0) {
      const list = await client.list(
        req.info,
        ns,
        flags.selector ? { labelSelector: String(flags.selector) } : {},
      );
      objects = list.items ?? [];
    } else {
      for (const name of req.names) {
        try {
          objects.push(
            await client.get(
              req.info,
              req.info.namespaced ? (namespace ?? factory.namespace()) : undefined,
              name,
            ),
          );
        } catch (err) {
          failed = true;
          io.err(`${formatError(err)}\n`);
        }
      }
    }
    for (const o of objects) {
      seen++;
      const out = new Out();
      describeInto(out, o, req.info);
      if (flags.showEvents !== false) await events(out, factory, o, req.info, nowMs);
      blocks.push(out.toString());
    }
  }
  io.out(blocks.join('\n\n'));
  if (seen === 0 && !failed) io.err(noResourcesMessage(namespace));
  if (failed) throw new ExitSignal(1);
}

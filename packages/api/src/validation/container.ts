/**
 * Validation of one container of a pod (pkg/apis/core/validation validateContainers):
 * name, image, ports, environment, resources, volume mounts and probes.
 */
import { isQuantity, type Quantity, tryParseQuantity } from '../quantity.js';
import type { IntOrString } from '../types/meta.js';
import type { Container, EnvVar, Probe, ResourceRequirements } from '../types/pod.js';
import { child, type FieldErrors, index, key } from './field.js';
import {
  isConfigMapKey,
  isDNS1123Label,
  isDNS1123Subdomain,
  isEnvVarName,
  isQualifiedName,
  isValidPortName,
  isValidPortNum,
} from './names.js';

const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const TERMINATION_MESSAGE_POLICIES = ['File', 'FallbackToLogsOnError'];
const DOWNWARD_FIELD_PATHS = [
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'metadata.labels',
  'metadata.annotations',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
];

/** Port given as a number (1..65535) or an IANA service name. */
export function validatePortNumOrName(
  errors: FieldErrors,
  port: IntOrString | undefined,
  path: string,
): void {
  if (port === undefined) {
    errors.required(path);
  } else if (typeof port === 'number') {
    errors.invalidEach(path, port, isValidPortNum(port));
  } else if (typeof port === 'string') {
    errors.invalidEach(path, port, isValidPortName(port));
  } else {
    errors.typeInvalid(path, port, 'an integer or a string');
  }
}

/** Resource requests/limits: quantity syntax, non-negative, requests ≤ limits. */
export function validateResourceRequirements(
  errors: FieldErrors,
  resources: ResourceRequirements | undefined,
  path: string,
): void {
  if (!errors.isObject(path, resources)) return;
  // Parse each value once: quantity parsing dominates validation cost.
  const parsed: Record<'limits' | 'requests', Map<string, Quantity>> = {
    limits: new Map(),
    requests: new Map(),
  };
  for (const group of ['limits', 'requests'] as const) {
    const groupPath = child(path, group);
    if (!errors.isObject(groupPath, resources[group])) continue;
    for (const [name, value] of Object.entries(resources[group] ?? {})) {
      const entryPath = key(groupPath, name);
      errors.invalidEach(entryPath, name, isQualifiedName(name));
      const quantity = tryParseQuantity(value);
      if (quantity === undefined) {
        errors.invalid(
          entryPath,
          value,
          "must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
        );
      } else if (quantity.sign() < 0) {
        errors.invalid(entryPath, value, 'must be greater than or equal to 0');
      } else {
        parsed[group].set(name, quantity);
      }
    }
  }
  for (const [name, request] of parsed.requests) {
    const limit = parsed.limits.get(name);
    if (limit !== undefined && request.cmp(limit) > 0) {
      errors.invalid(
        key(child(path, 'requests'), name),
        resources.requests?.[name],
        `must be less than or equal to ${name} limit of ${resources.limits?.[name]}`,
      );
    }
  }
}

function validateProbe(
  errors: FieldErrors,
  probe: Probe | undefined,
  path: string,
  isLiveness: boolean,
): void {
  if (!errors.isObject(path, probe)) return;
  const handlers = (['exec', 'httpGet', 'tcpSocket', 'grpc'] as const).filter(
    (name) => probe[name] !== undefined,
  );
  if (handlers.length === 0) errors.required(path, 'must specify a handler type');
  for (const extra of handlers.slice(1))
    errors.forbidden(child(path, extra), 'may not specify more than 1 handler type');
  if (probe.httpGet !== undefined && errors.isObject(child(path, 'httpGet'), probe.httpGet)) {
    const httpPath = child(path, 'httpGet');
    validatePortNumOrName(errors, probe.httpGet.port, child(httpPath, 'port'));
    errors.oneOf(child(httpPath, 'scheme'), probe.httpGet.scheme, ['HTTP', 'HTTPS']);
    if (
      errors.isString(child(httpPath, 'path'), probe.httpGet.path) &&
      probe.httpGet.path !== '' &&
      !probe.httpGet.path.startsWith('/')
    ) {
      errors.invalid(child(httpPath, 'path'), probe.httpGet.path, "must start with '/'");
    }
  }
  if (probe.tcpSocket !== undefined && errors.isObject(child(path, 'tcpSocket'), probe.tcpSocket)) {
    validatePortNumOrName(errors, probe.tcpSocket.port, child(child(path, 'tcpSocket'), 'port'));
  }
  if (probe.grpc !== undefined && errors.isObject(child(path, 'grpc'), probe.grpc)) {
    const portPath = child(child(path, 'grpc'), 'port');
    if (errors.isInteger(portPath, probe.grpc.port))
      errors.invalidEach(portPath, probe.grpc.port, isValidPortNum(probe.grpc.port));
  }
  if (probe.exec !== undefined && errors.isObject(child(path, 'exec'), probe.exec)) {
    errors.list(child(child(path, 'exec'), 'command'), probe.exec.command);
  }
  errors.nonNegative(child(path, 'initialDelaySeconds'), probe.initialDelaySeconds);
  errors.positive(child(path, 'timeoutSeconds'), probe.timeoutSeconds);
  errors.positive(child(path, 'periodSeconds'), probe.periodSeconds);
  errors.positive(child(path, 'successThreshold'), probe.successThreshold);
  errors.positive(child(path, 'failureThreshold'), probe.failureThreshold);
  if (isLiveness && typeof probe.successThreshold === 'number' && probe.successThreshold !== 1) {
    errors.invalid(child(path, 'successThreshold'), probe.successThreshold, 'must be 1');
  }
}

function validateEnv(errors: FieldErrors, env: EnvVar[] | undefined, path: string): void {
  errors.list(path, env).forEach((variable, position) => {
    const variablePath = index(path, position);
    if (!errors.isObject(variablePath, variable)) return;
    const namePath = child(variablePath, 'name');
    if (variable.name === undefined || variable.name === '') errors.required(namePath);
    else if (errors.isString(namePath, variable.name))
      errors.invalidEach(namePath, variable.name, isEnvVarName(variable.name));
    errors.isString(child(variablePath, 'value'), variable.value);
    const source = variable.valueFrom;
    const sourcePath = child(variablePath, 'valueFrom');
    if (!errors.isObject(sourcePath, source)) return;
    const kinds = (['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef'] as const).filter(
      (name) => source[name] !== undefined,
    );
    if (kinds.length === 0)
      errors.invalid(
        sourcePath,
        '',
        'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`',
      );
    if (kinds.length > 1) {
      errors.invalid(sourcePath, '', 'may not have more than one field specified at a time');
    }
    if (variable.value !== undefined && variable.value !== '') {
      errors.invalid(sourcePath, '', 'may not be specified when `value` is not empty');
    }
    for (const refName of ['configMapKeyRef', 'secretKeyRef'] as const) {
      const ref = source[refName];
      const refPath = child(sourcePath, refName);
      if (!errors.isObject(refPath, ref)) continue;
      if (ref.key === undefined || ref.key === '') errors.required(child(refPath, 'key'));
      else if (errors.isString(child(refPath, 'key'), ref.key))
        errors.invalidEach(child(refPath, 'key'), ref.key, isConfigMapKey(ref.key));
      if (ref.name === undefined || ref.name === '') errors.required(child(refPath, 'name'));
      else if (errors.isString(child(refPath, 'name'), ref.name))
        errors.invalidEach(child(refPath, 'name'), ref.name, isDNS1123Subdomain(ref.name));
    }
    const fieldRef = source.fieldRef;
    const fieldRefPath = child(sourcePath, 'fieldRef');
    if (errors.isObject(fieldRefPath, fieldRef)) {
      const fieldPath = fieldRef.fieldPath;
      const base = typeof fieldPath === 'string' ? fieldPath.replace(/\[.*\]$/, '') : '';
      if (fieldPath === undefined || fieldPath === '') errors.required(child(fieldRefPath, 'fieldPath'));
      else if (!DOWNWARD_FIELD_PATHS.includes(base))
        errors.notSupported(child(fieldRefPath, 'fieldPath'), fieldPath, DOWNWARD_FIELD_PATHS);
    }
    const resourceRef = source.resourceFieldRef;
    const resourceRefPath = child(sourcePath, 'resourceFieldRef');
    if (errors.isObject(resourceRefPath, resourceRef)) {
      if (resourceRef.resource === undefined || resourceRef.resource === '')
        errors.required(child(resourceRefPath, 'resource'));
      if (resourceRef.divisor !== undefined && !isQuantity(resourceRef.divisor)) {
        errors.invalid(child(resourceRefPath, 'divisor'), resourceRef.divisor, 'must be a valid quantity');
      }
    }
  });
}

/** Names shared across the containers of one pod, for uniqueness and reference checks. */
export interface ContainerContext {
  volumeNames: Set<string>;
  containerNames: Set<string>;
  portNames: Set<string>;
}

/** Checks one container; `isInit` selects init-container rules. */
export function validateContainer(
  errors: FieldErrors,
  container: Container,
  path: string,
  context: ContainerContext,
  isInit: boolean,
): void {
  if (!errors.isObject(path, container)) return;
  const namePath = child(path, 'name');
  if (container.name === undefined || container.name === '') {
    errors.required(namePath);
  } else if (errors.isString(namePath, container.name)) {
    errors.invalidEach(namePath, container.name, isDNS1123Label(container.name));
    if (context.containerNames.has(container.name)) errors.duplicate(namePath, container.name);
    context.containerNames.add(container.name);
  }
  const imagePath = child(path, 'image');
  if (container.image === undefined || container.image === '') errors.required(imagePath);
  else if (errors.isString(imagePath, container.image) && container.image.trim() !== container.image) {
    errors.invalid(imagePath, container.image, 'must not have leading or trailing whitespace');
  }
  errors.list(child(path, 'command'), container.command);
  errors.list(child(path, 'args'), container.args);
  errors.oneOf(child(path, 'imagePullPolicy'), container.imagePullPolicy, PULL_POLICIES);
  errors.oneOf(
    child(path, 'terminationMessagePolicy'),
    container.terminationMessagePolicy,
    TERMINATION_MESSAGE_POLICIES,
  );
  if (isInit) errors.oneOf(child(path, 'restartPolicy'), container.restartPolicy, ['Always']);
  else if (container.restartPolicy !== undefined)
    errors.forbidden(child(path, 'restartPolicy'), 'may not be set for non-init containers');
  const portsPath = child(path, 'ports');
  errors.list(portsPath, container.ports).forEach((port, position) => {
    const portPath = index(portsPath, position);
    if (!errors.isObject(portPath, port)) return;
    const containerPortPath = child(portPath, 'containerPort');
    if (port.containerPort === undefined) errors.required(containerPortPath);
    else if (errors.isInteger(containerPortPath, port.containerPort)) {
      errors.invalidEach(containerPortPath, port.containerPort, isValidPortNum(port.containerPort));
    }
    if (
      port.hostPort !== undefined &&
      port.hostPort !== 0 &&
      errors.isInteger(child(portPath, 'hostPort'), port.hostPort)
    ) {
      errors.invalidEach(child(portPath, 'hostPort'), port.hostPort, isValidPortNum(port.hostPort));
    }
    if (port.name !== undefined && port.name !== '' && errors.isString(child(portPath, 'name'), port.name)) {
      errors.invalidEach(child(portPath, 'name'), port.name, isValidPortName(port.name));
      if (context.portNames.has(port.name)) errors.duplicate(child(portPath, 'name'), port.name);
      context.portNames.add(port.name);
    }
    errors.oneOf(child(portPath, 'protocol'), port.protocol, PROTOCOLS);
  });
  validateEnv(errors, container.env, child(path, 'env'));
  const envFromPath = child(path, 'envFrom');
  errors.list(envFromPath, container.envFrom).forEach((source, position) => {
    const sourcePath = index(envFromPath, position);
    if (!errors.isObject(sourcePath, source)) return;
    if (
      source.prefix !== undefined &&
      source.prefix !== '' &&
      errors.isString(child(sourcePath, 'prefix'), source.prefix)
    ) {
      errors.invalidEach(child(sourcePath, 'prefix'), source.prefix, isEnvVarName(source.prefix));
    }
    const refs = (['configMapRef', 'secretRef'] as const).filter((name) => source[name] !== undefined);
    if (refs.length !== 1)
      errors.invalid(sourcePath, '', 'must specify one of: `configMapRef` or `secretRef`');
    for (const refName of refs) {
      const ref = source[refName];
      const refPath = child(sourcePath, refName);
      if (!errors.isObject(refPath, ref)) continue;
      if (ref.name === undefined || ref.name === '') errors.required(child(refPath, 'name'));
      else if (errors.isString(child(refPath, 'name'), ref.name))
        errors.invalidEach(child(refPath, 'name'), ref.name, isDNS1123Subdomain(ref.name));
    }
  });
  validateResourceRequirements(errors, container.resources, child(path, 'resources'));
  const mountsPath = child(path, 'volumeMounts');
  const mountPaths = new Set<string>();
  errors.list(mountsPath, container.volumeMounts).forEach((mount, position) => {
    const mountPath = index(mountsPath, position);
    if (!errors.isObject(mountPath, mount)) return;
    if (mount.name === undefined || mount.name === '') errors.required(child(mountPath, 'name'));
    else if (!context.volumeNames.has(mount.name)) errors.notFound(child(mountPath, 'name'), mount.name);
    if (mount.mountPath === undefined || mount.mountPath === '')
      errors.required(child(mountPath, 'mountPath'));
    else if (errors.isString(child(mountPath, 'mountPath'), mount.mountPath)) {
      if (mountPaths.has(mount.mountPath))
        errors.invalid(child(mountPath, 'mountPath'), mount.mountPath, 'must be unique');
      mountPaths.add(mount.mountPath);
    }
    if (
      typeof mount.subPath === 'string' &&
      (mount.subPath.startsWith('/') || mount.subPath.split('/').includes('..'))
    ) {
      errors.invalid(child(mountPath, 'subPath'), mount.subPath, "must be a relative path without '..'");
    }
  });
  validateProbe(errors, container.livenessProbe, child(path, 'livenessProbe'), true);
  validateProbe(errors, container.readinessProbe, child(path, 'readinessProbe'), false);
  validateProbe(errors, container.startupProbe, child(path, 'startupProbe'), true);
  if (isInit && container.restartPolicy !== 'Always') {
    for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
      if (container[probe] !== undefined)
        errors.forbidden(
          child(path, probe),
          'may not be set for init containers without restartPolicy=Always',
        );
    }
  }
}

/**
 * Validation of core/v1 Services and Endpoints (ValidateService, ValidateServiceUpdate,
 * ValidateEndpoints). The NodePort range (30000-32767 by default) is the API server's
 * configuration, so only the 1-65535 syntax is checked here.
 */
import type { Endpoints, Service } from '../types/core.js';
import { child, FieldErrors, index } from './field.js';
import { validateLabels, validateObjectMeta, validateObjectMetaUpdate } from './meta.js';
import {
  isDNS1123Label,
  isDNS1123Subdomain,
  isIP,
  isValidPortName,
  isValidPortNum,
  nameIsDNS1035Label,
  nameIsDNSSubdomain,
} from './names.js';

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

/** Full validation of a Service on create. */
export function validateService(service: Service): FieldErrors {
  const errors = new FieldErrors();
  validateObjectMeta(errors, service.metadata, { namespaced: true, validateName: nameIsDNS1035Label });
  const spec = service.spec;
  if (spec === undefined || spec === null) {
    errors.required('spec');
    return errors;
  }
  if (!errors.isObject('spec', spec)) return errors;
  errors.oneOf('spec.type', spec.type, SERVICE_TYPES);
  const type = spec.type ?? 'ClusterIP';
  const ports = errors.list('spec.ports', spec.ports);
  if (ports.length === 0 && type !== 'ExternalName' && spec.clusterIP !== 'None')
    errors.required('spec.ports');
  const names = new Set<string>();
  const portProtocols = new Set<string>();
  ports.forEach((port, position) => {
    const path = index('spec.ports', position);
    if (!errors.isObject(path, port)) return;
    if (port.name === undefined || port.name === '') {
      if (ports.length > 1) errors.required(child(path, 'name'));
    } else if (errors.isString(child(path, 'name'), port.name)) {
      errors.invalidEach(child(path, 'name'), port.name, isDNS1123Label(port.name));
      if (names.has(port.name)) errors.duplicate(child(path, 'name'), port.name);
      names.add(port.name);
    }
    if (port.port === undefined) errors.required(child(path, 'port'));
    else if (errors.isInteger(child(path, 'port'), port.port))
      errors.invalidEach(child(path, 'port'), port.port, isValidPortNum(port.port));
    errors.oneOf(child(path, 'protocol'), port.protocol, PROTOCOLS);
    const target = port.targetPort;
    if (typeof target === 'number') {
      if (target !== 0) errors.invalidEach(child(path, 'targetPort'), target, isValidPortNum(target));
    } else if (typeof target === 'string') {
      if (target !== '') errors.invalidEach(child(path, 'targetPort'), target, isValidPortName(target));
    } else if (target !== undefined) {
      errors.typeInvalid(child(path, 'targetPort'), target, 'an integer or a string');
    }
    if (port.nodePort !== undefined && port.nodePort !== 0) {
      if (type === 'ClusterIP' || type === 'ExternalName') {
        errors.forbidden(child(path, 'nodePort'), `may not be used when \`type\` is '${type}'`);
      } else if (errors.isInteger(child(path, 'nodePort'), port.nodePort)) {
        errors.invalidEach(child(path, 'nodePort'), port.nodePort, isValidPortNum(port.nodePort));
      }
    }
    const identity = `${port.port}/${port.protocol ?? 'TCP'}`;
    if (portProtocols.has(identity))
      errors.duplicate(path, { port: port.port, protocol: port.protocol ?? 'TCP' });
    portProtocols.add(identity);
  });
  validateLabels(errors, spec.selector, 'spec.selector');
  errors.oneOf('spec.sessionAffinity', spec.sessionAffinity, ['ClientIP', 'None']);
  const timeout = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
  if (
    timeout !== undefined &&
    errors.isInteger('spec.sessionAffinityConfig.clientIP.timeoutSeconds', timeout) &&
    (timeout <= 0 || timeout > 86400)
  ) {
    errors.invalid(
      'spec.sessionAffinityConfig.clientIP.timeoutSeconds',
      timeout,
      'must be greater than 0 and less than 86400',
    );
  }
  const clusterIP = spec.clusterIP;
  if (
    clusterIP !== undefined &&
    clusterIP !== '' &&
    clusterIP !== 'None' &&
    errors.isString('spec.clusterIP', clusterIP) &&
    !isIP(clusterIP)
  ) {
    errors.invalid(
      'spec.clusterIP',
      clusterIP,
      'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
    );
  }
  errors.list('spec.externalIPs', spec.externalIPs).forEach((address, position) => {
    if (typeof address !== 'string' || !isIP(address)) {
      errors.invalid(
        index('spec.externalIPs', position),
        address,
        'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
      );
    }
  });
  if (type === 'ExternalName') {
    if (clusterIP !== undefined && clusterIP !== '')
      errors.forbidden('spec.clusterIP', 'may not be set for ExternalName services');
    if (spec.externalName === undefined || spec.externalName === '') errors.required('spec.externalName');
    else if (errors.isString('spec.externalName', spec.externalName)) {
      errors.invalidEach(
        'spec.externalName',
        spec.externalName,
        isDNS1123Subdomain(spec.externalName.replace(/\.$/, '')),
      );
    }
  }
  if (spec.externalTrafficPolicy !== undefined) {
    if (type !== 'NodePort' && type !== 'LoadBalancer') {
      errors.invalid(
        'spec.externalTrafficPolicy',
        spec.externalTrafficPolicy,
        "may only be set when `type` is 'NodePort' or 'LoadBalancer'",
      );
    } else {
      errors.oneOf('spec.externalTrafficPolicy', spec.externalTrafficPolicy, ['Cluster', 'Local']);
    }
  }
  errors.oneOf('spec.internalTrafficPolicy', spec.internalTrafficPolicy, ['Cluster', 'Local']);
  errors.oneOf('spec.ipFamilyPolicy', spec.ipFamilyPolicy, [
    'SingleStack',
    'PreferDualStack',
    'RequireDualStack',
  ]);
  errors.list('spec.ipFamilies', spec.ipFamilies).forEach((family, position) => {
    errors.oneOf(index('spec.ipFamilies', position), family, ['IPv4', 'IPv6']);
  });
  return errors;
}

/**
 * Service update: create rules plus clusterIP/clusterIPs immutable once allocated (unless
 * the type becomes ExternalName, which releases it).
 */
export function validateServiceUpdate(next: Service, previous: Service): FieldErrors {
  const errors = validateService(next);
  validateObjectMetaUpdate(errors, next.metadata, previous.metadata);
  const oldIP = previous.spec?.clusterIP;
  const newIP = next.spec?.clusterIP;
  const becomesExternalName = next.spec?.type === 'ExternalName';
  if (oldIP !== undefined && oldIP !== '' && !becomesExternalName && newIP !== oldIP) {
    errors.invalid('spec.clusterIP', newIP ?? '', 'field is immutable');
  }
  const oldIPs = previous.spec?.clusterIPs;
  const newIPs = next.spec?.clusterIPs;
  if (oldIPs !== undefined && oldIPs.length > 0 && !becomesExternalName && newIPs !== undefined) {
    if (newIPs[0] !== oldIPs[0])
      errors.invalid('spec.clusterIPs[0]', newIPs[0] ?? '', 'may not change once set');
  }
  return errors;
}

/** Full validation of Endpoints. */
export function validateEndpoints(endpoints: Endpoints): FieldErrors {
  const errors = new FieldErrors();
  validateObjectMeta(errors, endpoints.metadata, { namespaced: true, validateName: nameIsDNSSubdomain });
  errors.list('subsets', endpoints.subsets).forEach((subset, position) => {
    const path = index('subsets', position);
    if (!errors.isObject(path, subset)) return;
    for (const field of ['addresses', 'notReadyAddresses'] as const) {
      errors.list(child(path, field), subset[field]).forEach((address, addressPosition) => {
        const addressPath = index(child(path, field), addressPosition);
        if (!errors.isObject(addressPath, address)) return;
        if (typeof address.ip !== 'string' || !isIP(address.ip)) {
          errors.invalid(child(addressPath, 'ip'), address.ip ?? '', 'must be a valid IP address');
        }
        if (
          address.hostname !== undefined &&
          address.hostname !== '' &&
          errors.isString(child(addressPath, 'hostname'), address.hostname)
        ) {
          errors.invalidEach(
            child(addressPath, 'hostname'),
            address.hostname,
            isDNS1123Label(address.hostname),
          );
        }
      });
    }
    const ports = errors.list(child(path, 'ports'), subset.ports);
    ports.forEach((port, portPosition) => {
      const portPath = index(child(path, 'ports'), portPosition);
      if (!errors.isObject(portPath, port)) return;
      if (port.name === undefined || port.name === '') {
        if (ports.length > 1) errors.required(child(portPath, 'name'));
      } else if (errors.isString(child(portPath, 'name'), port.name)) {
        errors.invalidEach(child(portPath, 'name'), port.name, isDNS1123Label(port.name));
      }
      if (errors.isInteger(child(portPath, 'port'), port.port))
        errors.invalidEach(child(portPath, 'port'), port.port, isValidPortNum(port.port));
      else if (port.port === undefined) errors.required(child(portPath, 'port'));
      errors.oneOf(child(portPath, 'protocol'), port.protocol, PROTOCOLS);
    });
  });
  return errors;
}

/** Endpoints update: create rules plus metadata immutability. */
export function validateEndpointsUpdate(next: Endpoints, previous: Endpoints): FieldErrors {
  const errors = validateEndpoints(next);
  validateObjectMetaUpdate(errors, next.metadata, previous.metadata);
  return errors;
}

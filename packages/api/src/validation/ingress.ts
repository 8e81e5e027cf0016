/**
 * Validation of networking.k8s.io/v1 Ingresses: hosts (DNS names, optional `*.` wildcard,
 * not IPs), paths (absolute for Prefix/Exact), path types, and backends.
 */
import type { Ingress, IngressBackend } from '../types/networking.js';
import { child, FieldErrors, index } from './field.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './meta.js';
import {
  isDNS1035Label,
  isDNS1123Subdomain,
  isIP,
  isValidPortName,
  isValidPortNum,
  nameIsDNSSubdomain,
} from './names.js';

const PATH_TYPES = ['Exact', 'ImplementationSpecific', 'Prefix'];

function validateHost(errors: FieldErrors, host: unknown, path: string): void {
  if (!errors.isString(path, host) || host === '') return;
  if (isIP(host)) {
    errors.invalid(path, host, 'must be a DNS name, not an IP address');
    return;
  }
  const name = host.startsWith('*.') ? host.slice(2) : host;
  errors.invalidEach(path, host, isDNS1123Subdomain(name));
}

function validateBackend(errors: FieldErrors, backend: IngressBackend | undefined, path: string): void {
  if (backend === undefined || backend === null) {
    errors.required(path);
    return;
  }
  if (!errors.isObject(path, backend)) return;
  const hasService = backend.service !== undefined;
  const hasResource = backend.resource !== undefined;
  if (hasService === hasResource) {
    errors.invalid(
      path,
      '',
      hasService
        ? 'cannot set both resource and service backends'
        : 'resource or service backend is required',
    );
  }
  const service = backend.service;
  if (service !== undefined && errors.isObject(child(path, 'service'), service)) {
    const servicePath = child(path, 'service');
    if (service.name === undefined || service.name === '') errors.required(child(servicePath, 'name'));
    else if (errors.isString(child(servicePath, 'name'), service.name))
      errors.invalidEach(child(servicePath, 'name'), service.name, isDNS1035Label(service.name));
    const port = service.port;
    const portPath = child(servicePath, 'port');
    if (port === undefined) {
      errors.required(portPath, 'port name or number is required');
    } else if (errors.isObject(portPath, port)) {
      const hasName = port.name !== undefined && port.name !== '';
      const hasNumber = port.number !== undefined && port.number !== 0;
      if (hasName && hasNumber) errors.invalid(portPath, port, 'cannot set both port name & port number');
      else if (!hasName && !hasNumber) errors.invalid(portPath, port, 'port name or number is required');
      if (hasName && errors.isString(child(portPath, 'name'), port.name))
        errors.invalidEach(child(portPath, 'name'), port.name, isValidPortName(port.name ?? ''));
      if (hasNumber && errors.isInteger(child(portPath, 'number'), port.number))
        errors.invalidEach(child(portPath, 'number'), port.number, isValidPortNum(port.number ?? 0));
    }
  }
  const resource = backend.resource;
  if (resource !== undefined && errors.isObject(child(path, 'resource'), resource)) {
    if (resource.kind === undefined || resource.kind === '')
      errors.required(child(child(path, 'resource'), 'kind'));
    if (resource.name === undefined || resource.name === '')
      errors.required(child(child(path, 'resource'), 'name'));
  }
}

/** Full validation of an Ingress. */
export function validateIngress(ingress: Ingress): FieldErrors {
  const errors = new FieldErrors();
  validateObjectMeta(errors, ingress.metadata, { namespaced: true, validateName: nameIsDNSSubdomain });
  const spec = ingress.spec;
  if (spec === undefined || spec === null) {
    errors.required('spec');
    return errors;
  }
  if (!errors.isObject('spec', spec)) return errors;
  const rules = errors.list('spec.rules', spec.rules);
  if (spec.defaultBackend === undefined && rules.length === 0) {
    errors.invalid('spec', spec, 'either `defaultBackend` or `rules` must be specified');
  }
  if (spec.defaultBackend !== undefined) validateBackend(errors, spec.defaultBackend, 'spec.defaultBackend');
  if (
    spec.ingressClassName !== undefined &&
    errors.isString('spec.ingressClassName', spec.ingressClassName)
  ) {
    errors.invalidEach(
      'spec.ingressClassName',
      spec.ingressClassName,
      isDNS1123Subdomain(spec.ingressClassName),
    );
  }
  rules.forEach((rule, position) => {
    const rulePath = index('spec.rules', position);
    if (!errors.isObject(rulePath, rule)) return;
    validateHost(errors, rule.host, child(rulePath, 'host'));
    const http = rule.http;
    const httpPath = child(rulePath, 'http');
    if (!errors.isObject(httpPath, http)) return;
    const pathsPath = child(httpPath, 'paths');
    const paths = errors.list(pathsPath, http.paths);
    if (paths.length === 0) errors.required(pathsPath);
    paths.forEach((entry, entryPosition) => {
      const entryPath = index(pathsPath, entryPosition);
      if (!errors.isObject(entryPath, entry)) return;
      if (entry.pathType === undefined)
        errors.required(child(entryPath, 'pathType'), 'pathType must be specified');
      else errors.oneOf(child(entryPath, 'pathType'), entry.pathType, PATH_TYPES);
      if (entry.pathType === 'Prefix' || entry.pathType === 'Exact') {
        if (typeof entry.path !== 'string' || !entry.path.startsWith('/')) {
          errors.invalid(child(entryPath, 'path'), entry.path ?? '', 'must be an absolute path');
        } else if (/\/\/|\/\.\.?(\/|$)/.test(entry.path)) {
          errors.invalid(child(entryPath, 'path'), entry.path, "must not contain '//', '/./' or '/../'");
        }
      } else if (
        entry.path !== undefined &&
        errors.isString(child(entryPath, 'path'), entry.path) &&
        entry.path !== '' &&
        !entry.path.startsWith('/')
      ) {
        errors.invalid(child(entryPath, 'path'), entry.path, 'must be an absolute path');
      }
      validateBackend(errors, entry.backend, child(entryPath, 'backend'));
    });
  });
  errors.list('spec.tls', spec.tls).forEach((tls, position) => {
    const tlsPath = index('spec.tls', position);
    if (!errors.isObject(tlsPath, tls)) return;
    errors.list(child(tlsPath, 'hosts'), tls.hosts).forEach((host, hostPosition) => {
      validateHost(errors, host, index(child(tlsPath, 'hosts'), hostPosition));
    });
  });
  return errors;
}

/** Ingress update: create rules plus metadata immutability. */
export function validateIngressUpdate(next: Ingress, previous: Ingress): FieldErrors {
  const errors = validateIngress(next);
  validateObjectMetaUpdate(errors, next.metadata, previous.metadata);
  return errors;
}

/** networking.k8s.io/v1 object types: Ingress. Shapes follow k8s.io/api/networking/v1. */
import type { List, ObjectMeta } from './meta.js';

/** A Service and port that receives matching requests. */
export interface IngressServiceBackend {
  name: string;
  /** Exactly one of name and number. */
  port?: { name?: string; number?: number };
}

/** Where matching requests go: a service or another resource, not both. */
export interface IngressBackend {
  service?: IngressServiceBackend;
  resource?: { apiGroup?: string; kind: string; name: string };
}

/** A path rule. */
export interface HTTPIngressPath {
  /** Must start with `/` for Prefix and Exact. */
  path?: string;
  pathType: 'Exact' | 'Prefix' | 'ImplementationSpecific';
  backend: IngressBackend;
}

/** One host's rules. */
export interface IngressRule {
  /** A DNS name (optionally `*.` wildcard); not an IP. */
  host?: string;
  http?: { paths: HTTPIngressPath[] };
}

/** TLS termination for a set of hosts. */
export interface IngressTLS {
  hosts?: string[];
  secretName?: string;
}

/** Desired state of an Ingress. */
export interface IngressSpec {
  ingressClassName?: string;
  defaultBackend?: IngressBackend;
  tls?: IngressTLS[];
  rules?: IngressRule[];
}

/** Observed state of an Ingress. */
export interface IngressStatus {
  loadBalancer?: {
    ingress?: Array<{ ip?: string; hostname?: string; ports?: Array<{ port: number; protocol: string }> }>;
  };
}

/** HTTP routing from outside the cluster to Services, by host and path. */
export interface Ingress {
  apiVersion?: 'networking.k8s.io/v1';
  kind?: 'Ingress';
  metadata: ObjectMeta;
  spec?: IngressSpec;
  status?: IngressStatus;
}

/** `IngressList`. */
export type IngressList = List<Ingress>;

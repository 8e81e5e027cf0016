import {
  apiGroupList,
  apiResourceList,
  applyDefaults,
  type Kind,
  lookupResource,
  RESOURCES,
  resourceFor,
  resourceForKind,
  resourcePath,
  resourcesInCategory,
  servedGroupVersions,
  storageKey,
  storagePrefix,
  tableColumns,
  VALIDATED_KINDS,
} from '@navarch/api';
import { describe, expect, it } from 'vitest';

describe('resource registry', () => {
  it.each([
    ['deployments.apps', 'Deployment'],
    ['deployments.v1.apps', 'Deployment'],
    ['deployment', 'Deployment'],
    ['deploy', 'Deployment'],
    ['Deployment', 'Deployment'],
    ['deployment.apps', 'Deployment'],
    ['po', 'Pod'],
    ['pods', 'Pod'],
    ['pods.', 'Pod'],
    ['svc', 'Service'],
    ['cm', 'ConfigMap'],
    ['ns', 'Namespace'],
    ['no', 'Node'],
    ['rs', 'ReplicaSet'],
    ['ep', 'Endpoints'],
    ['ing', 'Ingress'],
    ['ingresses.networking.k8s.io', 'Ingress'],
    ['hpa', 'HorizontalPodAutoscaler'],
    ['pv', 'PersistentVolume'],
    ['pvc', 'PersistentVolumeClaim'],
    ['ev', 'Event'],
    ['leases', 'Lease'],
    ['lease.coordination.k8s.io', 'Lease'],
    ['secrets', 'Secret'],
  ])('resolves %s to %s', (name, kind) => {
    expect(lookupResource(name)?.kind).toBe(kind);
  });

  it('returns undefined for unknown names and wrong groups', () => {
    expect(lookupResource('widgets')).toBeUndefined();
    expect(lookupResource('deployments.batch')).toBeUndefined();
    expect(resourceFor('', 'deployments')).toBeUndefined();
    expect(resourceFor('apps', 'deployments')?.kind).toBe('Deployment');
    expect(resourceForKind('apps/v1', 'Deployment')?.resource).toBe('deployments');
    expect(resourceForKind('extensions/v1beta1', 'Deployment')).toBeUndefined();
  });

  it('describes scope, list kind, verbs and subresources', () => {
    const deployments = lookupResource('deploy');
    expect(deployments).toMatchObject({
      group: 'apps',
      version: 'v1',
      apiVersion: 'apps/v1',
      resource: 'deployments',
      singular: 'deployment',
      namespaced: true,
      listKind: 'DeploymentList',
    });
    expect(deployments?.subresources).toEqual(['status', 'scale']);
    expect(lookupResource('pods')?.subresources).toContain('binding');
    expect(lookupResource('nodes')?.namespaced).toBe(false);
    expect(lookupResource('namespaces')?.namespaced).toBe(false);
    expect(lookupResource('pv')?.namespaced).toBe(false);
    expect(lookupResource('pods')?.verbs).toContain('watch');
  });

  it('expands the `all` category like kubectl get all', () => {
    expect(resourcesInCategory('all').map((info) => info.resource)).toEqual([
      'pods',
      'services',
      'deployments',
      'replicasets',
      'horizontalpodautoscalers',
    ]);
  });

  it('keys the store by plural resource, namespace and name', () => {
    const pods = lookupResource('pods')!;
    const deployments = lookupResource('deployments')!;
    const nodes = lookupResource('nodes')!;
    expect(storageKey(pods, 'default', 'x')).toBe('/registry/pods/default/x');
    expect(storageKey(deployments, 'default', 'x')).toBe('/registry/deployments/default/x');
    expect(storageKey(nodes, undefined, 'n1')).toBe('/registry/nodes/n1');
    expect(storagePrefix(pods, 'default')).toBe('/registry/pods/default/');
    expect(storagePrefix(pods)).toBe('/registry/pods/');
    expect(storagePrefix(nodes, 'ignored')).toBe('/registry/nodes/');
  });

  it('builds REST paths', () => {
    expect(resourcePath(lookupResource('pods')!, 'default', 'web')).toBe(
      '/api/v1/namespaces/default/pods/web',
    );
    expect(resourcePath(lookupResource('deploy')!, 'prod')).toBe('/apis/apps/v1/namespaces/prod/deployments');
    expect(resourcePath(lookupResource('deploy')!, 'prod', 'web', 'scale')).toBe(
      '/apis/apps/v1/namespaces/prod/deployments/web/scale',
    );
    expect(resourcePath(lookupResource('nodes')!, 'default', 'n1')).toBe('/api/v1/nodes/n1');
    expect(resourcePath(lookupResource('pods')!)).toBe('/api/v1/pods');
  });

  it('serves discovery documents', () => {
    expect(servedGroupVersions()).toEqual([
      'v1',
      'apps/v1',
      'networking.k8s.io/v1',
      'autoscaling/v2',
      'coordination.k8s.io/v1',
    ]);
    const core = apiResourceList('v1')!;
    expect(core.groupVersion).toBe('v1');
    const pods = core.resources.find((resource) => resource.name === 'pods');
    expect(pods).toMatchObject({
      singularName: 'pod',
      namespaced: true,
      kind: 'Pod',
      shortNames: ['po'],
      categories: ['all'],
    });
    expect(core.resources.find((resource) => resource.name === 'pods/status')?.verbs).toEqual([
      'get',
      'patch',
      'update',
    ]);
    const apps = apiResourceList('apps/v1')!;
    expect(apps.resources.find((resource) => resource.name === 'deployments/scale')).toMatchObject({
      kind: 'Scale',
      group: 'autoscaling',
      version: 'v1',
    });
    expect(apiResourceList('batch/v1')).toBeUndefined();
    expect(apiGroupList().groups.map((group) => group.preferredVersion.groupVersion)).toEqual([
      'apps/v1',
      'networking.k8s.io/v1',
      'autoscaling/v2',
      'coordination.k8s.io/v1',
    ]);
  });

  it('has unique plurals and short names and frozen entries', () => {
    const names = RESOURCES.flatMap((info) => [info.resource, ...info.shortNames]);
    expect(new Set(names).size).toBe(names.length);
    expect(Object.isFrozen(RESOURCES[0])).toBe(true);
  });

  it('gives every served kind a type, a validator, a defaulting path and a printer', () => {
    const typed: Record<Kind, true> = {
      Namespace: true,
      Pod: true,
      Service: true,
      Endpoints: true,
      ConfigMap: true,
      Secret: true,
      Node: true,
      Event: true,
      PersistentVolume: true,
      PersistentVolumeClaim: true,
      Deployment: true,
      ReplicaSet: true,
      Ingress: true,
      HorizontalPodAutoscaler: true,
      Lease: true,
    };
    const kinds = RESOURCES.map((info) => info.kind).sort();
    expect(Object.keys(typed).sort()).toEqual(kinds);
    expect([...VALIDATED_KINDS].sort()).toEqual(kinds);
    for (const kind of kinds) {
      expect(tableColumns(kind).length, kind).toBeGreaterThan(2);
      expect(applyDefaults({ kind, metadata: { name: 'x' } }).kind).toBe(kind);
    }
  });
});

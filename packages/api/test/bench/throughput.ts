/**
 * Throughput of the hot paths the API server runs per request: defaulting + validation of
 * a Deployment, quantity parsing, label selector parsing and matching, and table printing.
 * Run after a build, against the compiled package: `npx tsc -b packages/api && npx tsx packages/api/test/bench/throughput.ts`
 * (`@navarch/api` resolves to dist here; tsx's own transform of src would add keepNames overhead).
 * Not a test: no assertions, bounded loop counts.
 */
import { performance } from 'node:perf_hooks';
import {
  applyDefaults,
  buildTable,
  type Deployment,
  type Pod,
  parseQuantity,
  parseSelector,
  validateObject,
  validateObjectUpdate,
} from '@navarch/api';

function measure(name: string, iterations: number, run: (iteration: number) => void): void {
  for (let warmup = 0; warmup < Math.min(iterations, 1000); warmup += 1) run(warmup);
  const started = performance.now();
  for (let iteration = 0; iteration < iterations; iteration += 1) run(iteration);
  const elapsedMs = performance.now() - started;
  const perSecond = Math.round((iterations / elapsedMs) * 1000);
  console.log(
    `${name.padEnd(44)} ${String(perSecond).padStart(9)} ops/s  (${iterations} in ${elapsedMs.toFixed(0)} ms)`,
  );
}

const deployment: Deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'my-api', namespace: 'default', labels: { app: 'my-api' } },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: 'my-api' } },
    template: {
      metadata: { labels: { app: 'my-api' } },
      spec: {
        containers: [
          {
            name: 'api',
            image: 'myapp:1.0',
            ports: [{ containerPort: 3000 }],
            env: [{ name: 'DATABASE_URL', value: 'postgres://db:5432/app' }],
            resources: {
              requests: { memory: '128Mi', cpu: '100m' },
              limits: { memory: '256Mi', cpu: '500m' },
            },
            livenessProbe: {
              httpGet: { path: '/health', port: 3000 },
              initialDelaySeconds: 10,
              periodSeconds: 15,
            },
            readinessProbe: {
              httpGet: { path: '/ready', port: 3000 },
              initialDelaySeconds: 5,
              periodSeconds: 5,
            },
          },
        ],
      },
    },
  },
};
const defaulted = applyDefaults(deployment);
const quantities = ['250m', '128Mi', '10Gi', '1e3', '0.5', '1500m', '64Mi', '2'];
const selector = parseSelector('app=web,tier in (front,edge),!canary');
const labels = { app: 'web', tier: 'edge', team: 'a' };
const nowMs = Date.parse('2026-01-01T00:00:00Z');
const pods: Pod[] = Array.from({ length: 1000 }, (_, index) => ({
  kind: 'Pod',
  metadata: { name: `web-${index}`, namespace: 'default', creationTimestamp: '2025-12-31T23:00:00Z' },
  spec: { nodeName: 'node-1', containers: [{ name: 'app', image: 'web:1' }] },
  status: {
    phase: 'Running',
    podIP: '10.244.1.2',
    containerStatuses: [
      { name: 'app', ready: true, restartCount: 0, image: 'web:1', imageID: '', state: { running: {} } },
    ],
  },
}));

measure('applyDefaults(Deployment)', 20_000, () => applyDefaults(deployment));
measure('validateObject(defaulted Deployment)', 20_000, () => validateObject(defaulted));
measure('validateObjectUpdate(Deployment, Deployment)', 20_000, () =>
  validateObjectUpdate(defaulted, defaulted),
);
measure('parseQuantity', 200_000, (iteration) =>
  parseQuantity(quantities[iteration % quantities.length] ?? '1'),
);
measure('parseSelector(3 terms)', 100_000, () => parseSelector('app=web,tier in (front,edge),!canary'));
measure('Selector.matches', 1_000_000, () => selector.matches(labels));
measure('buildTable(1000 pods)', 50, () => buildTable('Pod', pods, { nowMs }));

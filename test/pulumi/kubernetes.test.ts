/**
 * synthObjects and applyManifests without the component: what is rendered
 * (a chart subclass's own toJson counts) and in which order the cluster gets
 * it (workloads after the policies that fence them).
 */
import * as pulumi from '@pulumi/pulumi';
import { ApiObject, App, Chart } from 'cdk8s';
import { installMocks } from './fixtures';

installMocks(false);

/* eslint-disable @typescript-eslint/no-require-imports */
const { applyManifests, synthObjects } = require('../../lib/pulumi/kubernetes') as typeof import('../../lib/pulumi/kubernetes');
/* eslint-enable @typescript-eslint/no-require-imports */

/** A chart that labels every object it renders, in its own toJson. */
class LabelledChart extends Chart {
  public toJson(): any[] {
    return super.toJson().map((o) => ({ ...o, metadata: { ...o.metadata, labels: { ...o.metadata?.labels, team: 'fraud' } } }));
  }
}

describe('synthObjects', () => {
  test('renders a chart subclass through its own toJson, as app.synthYaml() does', () => {
    const build = () => {
      const app = new App({ outdir: 'dist' });
      new ApiObject(new LabelledChart(app, 'fraud', { namespace: 'fraud' }), 'Config', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'config' } });
      return app;
    };
    const { yaml, objects } = synthObjects(build());
    expect(objects.map((o) => o.metadata.labels)).toEqual([{ team: 'fraud' }]);
    expect(yaml).toBe(build().synthYaml());
    expect(yaml).toMatch(/team: fraud/);
  });

  test('leaves the chart as it was', () => {
    const app = new App({ outdir: 'dist' });
    const chart = new LabelledChart(app, 'fraud');
    synthObjects(app);
    expect(Object.prototype.hasOwnProperty.call(chart, 'toJson')).toBe(false);
    expect(chart.toJson).toBe(LabelledChart.prototype.toJson);
  });
});

const nameOf = (r: unknown) => (r as { __name?: string }).__name;

describe('applyManifests', () => {
  test('workloads wait for the security.istio.io policies and NetworkPolicies; other objects do not', () => {
    // what each resource was declared to depend on, seen through a transformation of the parent (children inherit it)
    const dependsOn = new Map<string, string[]>();
    const parent = new pulumi.ComponentResource('test:index:Parent', 'ordered', {}, {
      transformations: [(args) => {
        const deps = args.opts.dependsOn;
        dependsOn.set(args.name, (Array.isArray(deps) ? deps : deps ? [deps] : []).map(nameOf).filter((n): n is string => n !== undefined).sort());
        return undefined;
      }],
    });
    const obj = (apiVersion: string, kind: string, name: string, namespace?: string) =>
      ({ apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) } });
    applyManifests('m', [
      obj('apps/v1', 'Deployment', 'fraud', 'fraud'),
      obj('v1', 'Service', 'fraud', 'fraud'),
      obj('batch/v1', 'CronJob', 'report', 'batch'),
      obj('v1', 'Pod', 'debug', 'fraud'),
      obj('security.istio.io/v1', 'AuthorizationPolicy', 'deny-without-token', 'fraud'),
      obj('security.istio.io/v1', 'PeerAuthentication', 'strict', 'fraud'),
      obj('networking.k8s.io/v1', 'NetworkPolicy', 'fraud', 'fraud'),
      obj('v1', 'Namespace', 'fraud'),
    ], { parent });
    const fences = ['m/AuthorizationPolicy/fraud/deny-without-token', 'm/NetworkPolicy/fraud/fraud', 'm/PeerAuthentication/fraud/strict'];
    for (const workload of ['m/Deployment/fraud/fraud', 'm/CronJob/batch/report', 'm/Pod/fraud/debug']) {
      expect(dependsOn.get(workload)).toEqual(expect.arrayContaining(fences));
    }
    expect(dependsOn.get('m/Service/fraud/fraud')).toEqual(['m/Namespace/fraud']);
    expect(dependsOn.get('m/AuthorizationPolicy/fraud/deny-without-token')).toEqual(['m/Namespace/fraud']);
  });
});

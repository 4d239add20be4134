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
const { synthObjects } = require('../../lib/pulumi/kubernetes') as typeof import('../../lib/pulumi/kubernetes');
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

void pulumi;

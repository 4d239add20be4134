/**
 * Synthesizes every example (run by `npm run synth` and `cdk8s synth`):
 * the Kubernetes manifests into dist/ (or CDK8S_OUTDIR), and only them, so
 * `kubectl apply -f dist/` reads Kubernetes objects only; the access map
 * (access-map.md/.json/.mmd), the Azure plan (azure-plan.json) and the diagnostics reports (diagnostics.json,
 * diagnostics.sarif) into azureml-mesh.out/ beside it (or
 * CDK8S_AZUREML_MESH_OUTDIR). See docs/diagnostics.md.
 */
import * as fs from 'node:fs';
import { App } from 'cdk8s';
import { EXAMPLES } from './index';

const app = new App();
// Start from an empty manifests folder so a removed example leaves no stale file
// (app.synth() keeps azureml-mesh.out/ current itself: a failed synth removes the plan).
fs.rmSync(app.outdir, { recursive: true, force: true });
for (const example of EXAMPLES) example.build(app);
app.synth();

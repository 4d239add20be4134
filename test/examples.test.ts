import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXAMPLES } from '../examples';
import { Testing } from 'cdk8s';
import { AzurePlan, OUTDIR_CONTEXT } from '../lib';
import { parseAllDocuments } from 'yaml';
import { BATCH_SCORER_IDENTITY, FRAUD_TENANT_ID, OIDC_ISSUER_URL, PAYMENTS_API_CLIENT_ID, SUBSCRIPTION_ID } from '../examples/fraud-scoring';
import { checkInvariants, checkLeastPrivilege } from './invariants';
import { Manifest, allowPolicy, denyPolicy, one, synthApp } from './util';

describe('examples', () => {
  test.each(EXAMPLES.map((e) => [e.name, e] as const))('%s satisfies the invariants and synthesizes the same bytes twice', (_name, example) => {
    const first = synthApp((app) => example.build(app));
    expect(checkInvariants(first.manifests)).toEqual([]);
    // invariant 13: roles only where Azure enforces them
    const app = Testing.app();
    example.build(app);
    expect(checkLeastPrivilege(AzurePlan.of(app).toJson(), first.manifests)).toEqual([]);
    expect(synthApp((app) => example.build(app)).yaml).toBe(first.yaml);
  });

  test('fraud-scoring: the objects that decide who gets in', () => {
    const { manifests } = synthApp((app) => EXAMPLES.find((e) => e.name === 'fraud-scoring')!.build(app));
    const kinds = manifests.map((m) => m.kind);
    for (const kind of ['PeerAuthentication', 'RequestAuthentication', 'Telemetry', 'DestinationRule', 'VirtualService']) {
      expect(kinds.filter((k) => k === kind)).toHaveLength(1);
    }
    expect(denyPolicy(manifests).spec.rules).toEqual([{ from: [{ source: { notRequestPrincipals: ['*'] } }] }]);
    const rules = allowPolicy(manifests).spec.rules;
    const issuer = `https://login.microsoftonline.com/${FRAUD_TENANT_ID}/v2.0/*`;
    expect(rules).toEqual([
      {
        // the batch scorer: its mesh identity AND a token of its managed identity
        from: [{ source: { principals: ['cluster.local/ns/batch/sa/batch-scorer'], requestPrincipals: [issuer] } }],
        to: [{ operation: { paths: ['/score'], methods: ['POST'] } }],
        when: [{ key: 'request.auth.claims[oid]', values: [BATCH_SCORER_IDENTITY.principalId] }],
      },
      {
        from: [{ source: { requestPrincipals: [issuer] } }],
        to: [{ operation: { paths: ['/score'], methods: ['POST'] } }],
        when: [{ key: 'request.auth.claims[roles]', values: ['Fraud.Score'] }],
      },
      {
        from: [{ source: { requestPrincipals: [issuer] } }],
        to: [{ operation: { paths: ['/score'], methods: ['POST'] } }],
        when: [{ key: 'request.auth.presenter', values: [PAYMENTS_API_CLIENT_ID] }],
      },
    ]);
    const vs = one(manifests, 'VirtualService').spec.http[0];
    expect(vs.route.map((r: any) => [r.destination.subset, r.weight])).toEqual([['blue', 90], ['green', 10]]);
    // the policies select the pods the Service routes to
    const svc = one(manifests, 'Service');
    expect(denyPolicy(manifests).spec.selector.matchLabels).toEqual(svc.spec.selector);
  });

  test('batch scorer: workload identity wiring and the Azure plan', () => {
    const app = Testing.app();
    const meshdir = fs.mkdtempSync(path.join(os.tmpdir(), 'azureml-mesh-example-'));
    app.node.setContext(OUTDIR_CONTEXT, meshdir);
    EXAMPLES.find((e) => e.name === 'fraud-scoring')!.build(app);
    app.synth();
    const manifests = parseAllDocuments(fs.readFileSync(path.join(app.outdir, 'batch-scorer.k8s.yaml'), 'utf8')).map((d) => d.toJS() as Manifest);
    expect(one(manifests, 'ServiceAccount').metadata.annotations).toEqual({
      'azure.workload.identity/client-id': BATCH_SCORER_IDENTITY.clientId,
      'azure.workload.identity/tenant-id': FRAUD_TENANT_ID,
    });
    const template = one(manifests, 'Deployment').spec.template;
    expect(template.metadata.labels['azure.workload.identity/use']).toBe('true');
    expect(template.spec.serviceAccountName).toBe('batch-scorer');

    expect(fs.readdirSync(app.outdir)).not.toContain('azure-plan.json');
    const plan = JSON.parse(fs.readFileSync(path.join(meshdir, 'azure-plan.json'), 'utf8'));
    expect(plan.federatedCredentials).toEqual([{
      identityRef: `principal:${BATCH_SCORER_IDENTITY.principalId}`,
      name: 'batch-batch-scorer',
      issuer: OIDC_ISSUER_URL,
      subject: 'system:serviceaccount:batch:batch-scorer',
      audiences: ['api://AzureADTokenExchange'],
    }]);
    // golden: these names must never change between releases (redeploys would conflict)
    expect(plan.roleAssignments.map((r: any) => [r.name, r.scope, r.roleName, r.principalType])).toEqual([
      ['de74a3b9-ab78-51e3-be04-579f3c5ab32d', `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/ml-prod/providers/Microsoft.KeyVault/vaults/kv-fraud-jobs`, 'Key Vault Secrets User', 'ServicePrincipal'],
    ]);
    // the grant on the in-cluster model is enforced by the mesh alone: no invoker role, listed as mesh-only
    expect(plan.roleDefinitions).toEqual([]);
    expect(plan.meshOnlyGrants).toEqual([{
      endpoint: 'fraud-scoring/Endpoint',
      host: 'fraud-model.fraud.svc.cluster.local',
      caller: `workload:cluster.local/ns/batch/sa/batch-scorer|${BATCH_SCORER_IDENTITY.principalId}`,
      principalType: 'ServicePrincipal',
      principalId: BATCH_SCORER_IDENTITY.principalId,
    }]);
  });

  test('public edges: risk scoring behind the AKS Istio add-on gateway, claims triage behind F5 NIC (enrolled in the mesh); invariants 5 and 6', () => {
    const { manifests } = synthApp((app) => EXAMPLES.find((e) => e.name === 'public-edges')!.build(app));
    // no snippet annotation anywhere, and no AKS application routing (its NGINX has no sidecar)
    expect(JSON.stringify(manifests)).not.toMatch(/snippet/);
    expect(manifests.filter((m) => m.kind === 'Ingress')).toEqual([]);
    expect(JSON.stringify(manifests)).not.toMatch(/webapprouting|app-routing-system/);
    // the AKS Istio add-on's external gateway: HTTPS with the Secret in its namespace, plain HTTP only redirected (308)
    const gateways = manifests.filter((m) => m.kind === 'Gateway');
    expect(gateways.map((g) => [g.metadata.namespace, g.spec.selector, g.spec.servers.map((s: any) => s.port.protocol)])).toEqual([
      ['aks-istio-ingress', { istio: 'aks-istio-ingressgateway-external' }, ['HTTPS']],
      ['aks-istio-ingress', { istio: 'aks-istio-ingressgateway-external' }, ['HTTP']],
    ]);
    expect(gateways[0].spec.servers[0].tls).toEqual({ mode: 'SIMPLE', credentialName: 'risk-contoso-com-tls' });
    const routes = manifests.filter((m) => m.kind === 'VirtualService' && m.spec.hosts[0] === 'risk.contoso.com');
    expect(routes.map((r) => r.spec.http[0].redirect?.redirectCode ?? r.spec.http[0].route[0].destination.host).sort()).toEqual([308, 'risk-model.risk.svc.cluster.local'].sort());
    // F5 NIC: TLS with redirect, use-cluster-ip on every upstream, Host set to the Service
    const vs = manifests.find((m) => m.kind === 'VirtualServer')!;
    expect(vs.spec.tls.secret).toBe('claims-contoso-com-tls');
    expect(vs.spec.tls.redirect).toEqual({ enable: true, code: 308 });
    for (const u of vs.spec.upstreams) expect(u['use-cluster-ip']).toBe(true);
    // Key Vault certificate: SecretProviderClass, a pod that mounts it, and the role on the certificate's secret only
    const spc = one(manifests, 'SecretProviderClass');
    expect(spc.spec.secretObjects[0]).toMatchObject({ secretName: 'claims-contoso-com-tls', type: 'kubernetes.io/tls' });
    const sync = manifests.find((m) => m.kind === 'Deployment' && m.spec.template.spec.volumes?.some((v: any) => v.csi))!;
    expect(sync.spec.template.spec.volumes[0].csi.volumeAttributes.secretProviderClass).toBe(spc.metadata.name);
    expect(sync.spec.template.spec.serviceAccountName).toBe('edge-certificates');
    const plan = (() => { const a = Testing.app(); EXAMPLES.find((e) => e.name === 'public-edges')!.build(a); return AzurePlan.of(a).toJson(); })();
    expect(plan.roleAssignments.map((r) => [r.scope, r.roleName])).toEqual([
      [`/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/edge-prod/providers/Microsoft.KeyVault/vaults/kv-contoso-edge/secrets/claims-contoso-com`, 'Key Vault Secrets User'],
    ]);
    // each backend admits its edge controller's principal and no namespace-wide source
    const allows = manifests.filter((m) => m.kind === 'AuthorizationPolicy' && m.spec.action === 'ALLOW');
    expect(allows.map((p) => p.spec.rules.map((r: any) => r.from[0].source.principals))).toEqual([
      [['cluster.local/ns/aks-istio-ingress/sa/aks-istio-ingressgateway-external']],
      [['cluster.local/ns/nginx-ingress/sa/nginx-ingress']],
    ]);
    expect(JSON.stringify(allows)).not.toMatch(/namespaces/);
    expect(checkInvariants(manifests)).toEqual([]);
  });

  test('managed endpoint: egress control, exact host, invoker role, canary pinned to green', () => {
    const app = Testing.app();
    EXAMPLES.find((e) => e.name === 'managed-endpoint')!.build(app);
    const manifests = app.charts.flatMap((c) => c.toJson()) as Manifest[];
    const host = 'churn-model.westeurope.inference.ml.azure.com';
    expect(one(manifests, 'Sidecar').spec).toEqual({
      outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' },
      egress: [{ hosts: ['./*', 'aks-istio-system/*'] }],
    });
    // origination (acknowledged): the token-bearing pods cannot send TCP 80 out of the cluster
    const fence = one(manifests, 'NetworkPolicy');
    expect(fence.metadata.namespace).toBe('scoring-jobs');
    expect(fence.spec.podSelector).toEqual({ matchLabels: { 'azure.workload.identity/use': 'true' } });
    expect(fence.spec.policyTypes).toEqual(['Egress']);
    const outside = fence.spec.egress.filter((r: any) => r.to.some((t: any) => t.ipBlock));
    for (const r of outside) for (const port of r.ports) expect(80 >= port.port && 80 <= (port.endPort ?? port.port)).toBe(false);
    expect(fence.spec.egress.filter((r: any) => r.ports.length === 0)).toEqual([{ ports: [], to: [{ namespaceSelector: {}, podSelector: {} }] }]);
    const se = one(manifests, 'ServiceEntry', (m) => m.spec.hosts[0] === host);
    expect(se.spec).toMatchObject({ exportTo: ['.'], location: 'MESH_EXTERNAL', resolution: 'DNS', ports: [{ number: 80, name: 'http', protocol: 'HTTP', targetPort: 443 }] });
    expect(one(manifests, 'DestinationRule').spec.trafficPolicy.portLevelSettings[0].tls).toEqual({ mode: 'SIMPLE', sni: host });
    expect(one(manifests, 'VirtualService').spec.http[0].headers.request.set).toEqual({ 'azureml-model-deployment': 'green' });
    const cron = one(manifests, 'CronJob').spec.jobTemplate.spec.template;
    expect(cron.spec.serviceAccountName).toBe('nightly-scorer');
    expect(cron.spec.containers[0].env).toEqual(expect.arrayContaining([{ name: 'SCORING_URL', value: `http://${host}/score` }]));
    const plan = AzurePlan.of(app).toJson();
    expect(plan.roleAssignments.map((r) => [r.scope, r.roleName, r.principalType])).toEqual([[
      `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/ml-prod/providers/Microsoft.MachineLearningServices/workspaces/fraud-ws/onlineEndpoints/churn-model`,
      `AzureML Online Endpoint Invoker (${SUBSCRIPTION_ID})`,
      'ServicePrincipal',
    ]]);
    expect(checkInvariants(manifests)).toEqual([]);
  });

  test('npm run synth writes dist/ and the plan and reports byte-identically on two runs', () => {
    const root = path.resolve(__dirname, '..');
    const read = (dir: string) => {
      const files = fs.readdirSync(dir).sort();
      return { files, content: files.map((f) => `${f}\n${fs.readFileSync(path.join(dir, f), 'utf8')}`).join('\n') };
    };
    const run = () => {
      const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'mesh-synth-'));
      const meshdir = fs.mkdtempSync(path.join(os.tmpdir(), 'mesh-synth-out-'));
      execFileSync(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), 'examples/main.ts'], {
        cwd: root,
        env: { ...process.env, CDK8S_OUTDIR: outdir, CDK8S_AZUREML_MESH_OUTDIR: meshdir },
      });
      const out = { manifests: read(outdir), mesh: read(meshdir) };
      fs.rmSync(outdir, { recursive: true, force: true });
      fs.rmSync(meshdir, { recursive: true, force: true });
      return out;
    };
    const a = run();
    const b = run();
    expect(a.manifests.files).toEqual([
      'batch-scorer.k8s.yaml', 'claims-triage.k8s.yaml', 'fraud-scoring.k8s.yaml',
      'mesh-egress-scoring-jobs.k8s.yaml', 'risk-scoring.k8s.yaml', 'scoring-jobs.k8s.yaml',
    ]);
    expect(a.mesh.files).toEqual(['azure-plan.json', 'diagnostics.json', 'diagnostics.sarif']);
    expect(b.manifests.content).toBe(a.manifests.content);
    expect(b.mesh.content).toBe(a.mesh.content);
  });
});

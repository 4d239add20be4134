import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXAMPLES } from '../examples';
import { Testing } from 'cdk8s';
import { AzurePlan, OUTDIR_CONTEXT } from '../lib';
import { parseAllDocuments } from 'yaml';
import {
  BATCH_SCORER_IDENTITY, FRAUD_API_CLIENT_ID, FRAUD_EDGE_NAMESPACE, FRAUD_HOST, FRAUD_TENANT_ID, OIDC_ISSUER_URL, PAYMENTS_API_CLIENT_ID, SUBSCRIPTION_ID,
} from '../examples/fraud-scoring';
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
    const { manifests: all } = synthApp((app) => EXAMPLES.find((e) => e.name === 'fraud-scoring')!.build(app));
    // the model's own objects, in its namespace
    const manifests = all.filter((m) => m.metadata.namespace === 'fraud');
    const kinds = manifests.map((m) => m.kind);
    // RequestAuthentication: the endpoint's; the gateway's is in fraud-edge (checked below)
    for (const kind of ['PeerAuthentication', 'Telemetry']) {
      expect(kinds.filter((k) => k === kind)).toHaveLength(1);
    }
    // the Service's, and one per deployment Service the Gateway API edge splits over (same traffic policy and route)
    const hosts = (kind: string) => manifests.filter((m) => m.kind === kind).map((m) => m.spec.host ?? m.spec.hosts[0]).sort();
    const fraudHosts = ['fraud-model', 'fraud-model-blue', 'fraud-model-green'].map((n) => `${n}.fraud.svc.cluster.local`).sort();
    expect(hosts('DestinationRule')).toEqual(fraudHosts);
    expect(hosts('VirtualService')).toEqual(fraudHosts);
    for (const dr of manifests.filter((m) => m.kind === 'DestinationRule')) expect(dr.spec.trafficPolicy.tls).toEqual({ mode: 'ISTIO_MUTUAL' });
    expect(denyPolicy(manifests).spec.rules).toEqual([{ from: [{ source: { notRequestPrincipals: ['*'] } }] }]);
    const rules = allowPolicy(manifests).spec.rules;
    const issuer = `https://login.microsoftonline.com/${FRAUD_TENANT_ID}/v2.0/*`;
    // the public edge: the gateway pods of Gateway fraud-edge (class istio), Deployment/ServiceAccount fraud-edge-istio
    const gatewayPrincipal = `cluster.local/ns/${FRAUD_EDGE_NAMESPACE}/sa/fraud-edge-istio`;
    expect(rules).toEqual([
      {
        // the batch scorer: its mesh identity AND a token of its managed identity
        from: [{ source: { principals: ['cluster.local/ns/batch/sa/batch-scorer'], requestPrincipals: [issuer] } }],
        to: [{ operation: { paths: ['/score'], methods: ['POST'] } }],
        when: [{ key: 'request.auth.claims[oid]', values: [BATCH_SCORER_IDENTITY.principalId] }],
      },
      {
        from: [{ source: { principals: [gatewayPrincipal], requestPrincipals: [issuer] } }],
        to: [{ operation: { paths: ['/score'], methods: ['POST'] } }],
        when: [{ key: 'request.auth.claims[roles]', values: ['Fraud.Score'] }],
      },
      {
        from: [{ source: { principals: [gatewayPrincipal], requestPrincipals: [issuer] } }],
        to: [{ operation: { paths: ['/score'], methods: ['POST'] } }],
        when: [{ key: 'request.auth.presenter', values: [PAYMENTS_API_CLIENT_ID] }],
      },
    ]);
    const vs = one(manifests, 'VirtualService', (v) => v.spec.hosts[0] === 'fraud-model.fraud.svc.cluster.local').spec.http[0];
    expect(vs.route.map((r: any) => [r.destination.subset, r.weight])).toEqual([['blue', 90], ['green', 10]]);
    // the policies select the pods the Service routes to
    const svc = one(manifests, 'Service', (s) => s.metadata.name === 'fraud-model');
    expect(denyPolicy(manifests).spec.selector.matchLabels).toEqual(svc.spec.selector);
  });

  test('fraud-scoring: the public edge is the AKS Istio add-on\'s Gateway API, in its own namespace (the model\'s is default-deny)', () => {
    const { manifests } = synthApp((app) => EXAMPLES.find((e) => e.name === 'fraud-scoring')!.build(app));
    const gw = one(manifests, 'Gateway');
    expect(gw.apiVersion).toBe('gateway.networking.k8s.io/v1');
    expect(gw.metadata).toMatchObject({ name: 'fraud-edge', namespace: FRAUD_EDGE_NAMESPACE });
    // class istio, owned by the add-on's asm-1-28 control plane
    expect(gw.spec.gatewayClassName).toBe('istio');
    expect(gw.metadata.labels?.['istio.io/rev']).toBe('asm-1-28');
    // the Gateway's namespace has no default deny: an allow-nothing policy there would apply to the gateway pods
    const edgeNamespacePolicies = manifests.filter((m) => m.kind === 'AuthorizationPolicy' && m.metadata.namespace === FRAUD_EDGE_NAMESPACE);
    expect(edgeNamespacePolicies.every((p) => p.spec.targetRefs !== undefined)).toBe(true);
    expect(one(manifests, 'Namespace', (n) => n.metadata.name === FRAUD_EDGE_NAMESPACE).metadata.labels?.['istio.io/rev']).toBe('asm-1-28');
    // HTTPS with the certificate that stays in fraud (read across namespaces by the ReferenceGrant), plain HTTP for the redirect
    expect(gw.spec.listeners.map((l: any) => [l.name, l.protocol, l.port, l.hostname])).toEqual([['https', 'HTTPS', 443, FRAUD_HOST], ['http', 'HTTP', 80, FRAUD_HOST]]);
    expect(gw.spec.listeners[0].tls.certificateRefs).toEqual([{ group: '', kind: 'Secret', name: 'fraud-contoso-com-tls', namespace: 'fraud' }]);
    for (const l of gw.spec.listeners) expect(l.allowedRoutes.namespaces).toEqual({ from: 'Selector', selector: { matchLabels: { 'kubernetes.io/metadata.name': 'fraud' } } });
    const grant = one(manifests, 'ReferenceGrant');
    expect(grant.apiVersion).toBe('gateway.networking.k8s.io/v1beta1');
    expect(grant.metadata.namespace).toBe('fraud');
    expect(grant.spec).toEqual({ from: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: FRAUD_EDGE_NAMESPACE }], to: [{ group: '', kind: 'Secret', name: 'fraud-contoso-com-tls' }] });
    // the host's route: HTTPS listener only, 90/10 between per-deployment Services, the claim header removed, the endpoint's timeout
    const routes = manifests.filter((m) => m.kind === 'HTTPRoute');
    const route = routes.find((r) => r.spec.parentRefs[0].sectionName === 'https')!;
    expect(route.spec.parentRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'fraud-edge', namespace: FRAUD_EDGE_NAMESPACE, sectionName: 'https' }]);
    expect(route.spec.hostnames).toEqual([FRAUD_HOST]);
    expect(route.spec.rules[0].backendRefs).toEqual([{ name: 'fraud-model-blue', port: 80, weight: 90 }, { name: 'fraud-model-green', port: 80, weight: 10 }]);
    expect(route.spec.rules[0].filters).toContainEqual({ type: 'RequestHeaderModifier', requestHeaderModifier: { remove: ['x-caller-oid'] } });
    expect(route.spec.rules[0].timeouts).toEqual({ request: '30s' });
    for (const name of ['fraud-model-blue', 'fraud-model-green']) {
      const svc = one(manifests, 'Service', (s) => s.metadata.name === name);
      expect(svc.spec.selector).toEqual({ app: 'fraud-model', version: name.split('-').pop() });
      expect(svc.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 8080 }]);
    }
    // plain HTTP: a redirect only, 301 (the Gateway API bundles of AKS 1.30 to 1.35, where asm-1-28 runs, have no 308)
    const redirect = routes.find((r) => r.spec.parentRefs[0].sectionName === 'http')!;
    expect(redirect.spec.rules).toEqual([{ filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 301 } }] }]);
    // tokens validated at the gateway too, attached to the Gateway in its namespace
    const targetRefs = [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'fraud-edge' }];
    const ra = one(manifests, 'RequestAuthentication', (m) => m.metadata.namespace === FRAUD_EDGE_NAMESPACE);
    expect(ra.spec.targetRefs).toEqual(targetRefs);
    expect(ra.spec.jwtRules.map((r: any) => [r.issuer, r.audiences, r.forwardOriginalToken])).toEqual([[`https://login.microsoftonline.com/${FRAUD_TENANT_ID}/v2.0`, [FRAUD_API_CLIENT_ID], true]]);
    expect(one(manifests, 'AuthorizationPolicy', (m) => m.metadata.namespace === FRAUD_EDGE_NAMESPACE).spec).toEqual({
      targetRefs, action: 'DENY', rules: [{ from: [{ source: { notRequestPrincipals: ['*'] } }], to: [{ operation: { notPorts: ['80'] } }] }],
    });
    // the second fence: the model's pods admit the gateway pods (by Istio's label), not their namespace
    const np = one(manifests, 'NetworkPolicy', (n) => n.metadata.namespace === 'fraud');
    expect(np.spec.ingress[0].from).toContainEqual({
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': FRAUD_EDGE_NAMESPACE } },
      podSelector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'fraud-edge' } },
    });
    expect(checkInvariants(manifests)).toEqual([]);
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
    const gateways = manifests.filter((m) => m.kind === 'Gateway' && m.apiVersion.startsWith('networking.istio.io/'));
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
      // NGINX Gateway Fabric: the data plane of Gateway embeddings (class nginx)
      [['cluster.local/ns/embeddings/sa/embeddings-nginx']],
      // Istio's Gateway API: the gateway pods of Gateway llm (class istio) in llm-edge
      [['cluster.local/ns/llm-edge/sa/llm-istio']],
    ]);
    expect(JSON.stringify(allows)).not.toMatch(/namespaces/);
    expect(checkInvariants(manifests)).toEqual([]);
  });

  test('public edges: embeddings behind NGINX Gateway Fabric (its policies, NginxProxy, data plane in the mesh), an InferencePool behind Istio\'s Gateway API', () => {
    const { manifests } = synthApp((app) => EXAMPLES.find((e) => e.name === 'public-edges')!.build(app));
    // NGINX Gateway Fabric: a Gateway of class nginx whose data plane joins the AKS add-on's mesh
    const ngf = one(manifests, 'Gateway', (g) => g.metadata.namespace === 'embeddings');
    expect(ngf.spec.gatewayClassName).toBe('nginx');
    expect(ngf.spec.infrastructure.labels).toEqual({ 'istio.io/rev': 'asm-1-28' });
    expect(ngf.spec.infrastructure.annotations['traffic.sidecar.istio.io/includeInboundPorts']).toBe('');
    const proxy = one(manifests, 'NginxProxy');
    expect(ngf.spec.infrastructure.parametersRef).toEqual({ group: 'gateway.nginx.org', kind: 'NginxProxy', name: proxy.metadata.name });
    expect(proxy.spec.kubernetes.service).toEqual({ type: 'LoadBalancer', loadBalancerSourceRanges: ['10.0.0.0/8'] });
    const route = one(manifests, 'HTTPRoute', (r) => r.metadata.namespace === 'embeddings' && r.spec.parentRefs[0].sectionName === 'https');
    expect(route.spec.parentRefs[0]).toMatchObject({ kind: 'Gateway', name: 'embeddings' });
    expect(route.spec.hostnames).toEqual(['embeddings.contoso.com']);
    // through the Service: the sidecar routes by Host with mTLS
    expect(route.spec.rules[0].filters).toContainEqual({ type: 'URLRewrite', urlRewrite: { hostname: 'embeddings-model.embeddings.svc.cluster.local' } });
    expect(route.spec.rules[0].backendRefs).toEqual([{ name: 'embeddings-model', port: 8080 }]);
    const ref = [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', name: route.metadata.name }];
    expect(one(manifests, 'ClientSettingsPolicy').spec).toEqual({ targetRef: ref[0], body: { maxSize: '64m' } });
    expect(one(manifests, 'ProxySettingsPolicy').spec).toEqual({ targetRefs: ref, timeout: { read: '120s', send: '120s' } });
    expect(one(manifests, 'RateLimitPolicy').spec).toEqual({
      targetRefs: ref,
      rateLimit: { local: { rules: [{ key: '$binary_remote_addr', rate: '20r/s', burst: 40, noDelay: true, zoneSize: '10m' }] }, rejectCode: 429 },
    });
    const ngfRedirect = one(manifests, 'HTTPRoute', (r) => r.metadata.namespace === 'embeddings' && r.spec.parentRefs[0].sectionName === 'http');
    expect(ngfRedirect.spec.rules[0].filters[0].requestRedirect).toEqual({ scheme: 'https', statusCode: 301 });

    // the InferencePool and the route to it on Istio's Gateway API (Gateway in llm-edge)
    const pool = one(manifests, 'InferencePool');
    expect(pool.apiVersion).toBe('inference.networking.k8s.io/v1');
    expect(pool.spec).toEqual({
      selector: { matchLabels: { app: 'vllm-qwen3' } },
      targetPorts: [{ number: 8000 }],
      endpointPickerRef: { name: 'qwen3-epp', port: { number: 9002 }, failureMode: 'FailClose' },
    });
    const llm = one(manifests, 'Gateway', (g) => g.metadata.namespace === 'llm-edge');
    expect(llm.spec.gatewayClassName).toBe('istio');
    const llmRoute = one(manifests, 'HTTPRoute', (r) => r.metadata.namespace === 'llm' && r.spec.parentRefs[0].sectionName === 'https');
    expect(llmRoute.spec.parentRefs[0]).toMatchObject({ name: 'llm', namespace: 'llm-edge' });
    expect(llmRoute.spec.rules[0].backendRefs).toEqual([{ group: 'inference.networking.k8s.io', kind: 'InferencePool', name: 'qwen3' }]);
    expect(llmRoute.spec.rules[0].timeouts).toEqual({ request: '300s' });
    // the pool's pods: the endpoint's DENY without token and its ALLOW select them; the picker admits only the gateway pods and monitoring
    expect(one(manifests, 'AuthorizationPolicy', (p) => p.metadata.namespace === 'llm' && p.spec.action === 'DENY').spec.selector).toEqual({ matchLabels: { app: 'vllm-qwen3' } });
    const picker = one(manifests, 'NetworkPolicy', (n) => n.spec.podSelector.matchLabels?.['llm-d-router-gateway'] === 'qwen3-epp');
    expect(picker.spec.ingress[0].from).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'llm-edge' } }, podSelector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'llm' } } },
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } },
    ]);
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
      'batch-scorer.k8s.yaml', 'claims-triage.k8s.yaml', 'embeddings.k8s.yaml', 'fraud-scoring.k8s.yaml', 'llm.k8s.yaml',
      'mesh-egress-batch.k8s.yaml', 'mesh-egress-scoring-jobs.k8s.yaml', 'risk-scoring.k8s.yaml', 'scoring-jobs.k8s.yaml',
    ]);
    expect(a.mesh.files).toEqual(['access-map.json', 'access-map.md', 'access-map.mmd', 'azure-plan.json', 'diagnostics.json', 'diagnostics.sarif']);
    expect(b.manifests.content).toBe(a.manifests.content);
    expect(b.mesh.content).toBe(a.mesh.content);
  });
});

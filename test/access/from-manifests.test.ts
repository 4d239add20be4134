import { accessMapFromManifests } from '../../lib/access/from-manifests';
import { ManifestSet } from '../../lib/access/manifests';
import { AccessMapRow } from '../../lib/access/map-row';
import { EXAMPLES } from '../../examples';
import { BATCH_SCORER_IDENTITY, FRAUD_HOST, PAYMENTS_API_CLIENT_ID, buildFraudScoring } from '../../examples/fraud-scoring';
import { TEST_APPS } from '../apps';
import { synthApp } from '../util';

const mapOf = (build: Parameters<typeof synthApp>[0]) => accessMapFromManifests(ManifestSet.fromObjects(synthApp(build).manifests));
const mapYaml = (yaml: string, options = {}) => accessMapFromManifests(ManifestSet.parse(yaml, 'fixture.yaml'), options);

const EDGE = 'cluster.local/ns/fraud-edge/sa/fraud-edge-istio';
const BATCH = 'cluster.local/ns/batch/sa/batch-scorer';

/** A Deployment and its Service in `ns`, pods labelled `labels`. */
const workload = (ns: string, name: string, labels: Record<string, string>, serviceAccount = name) => `
apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name}, namespace: ${ns} }
spec:
  selector: { matchLabels: ${JSON.stringify(labels)} }
  template:
    metadata: { labels: ${JSON.stringify(labels)} }
    spec: { serviceAccountName: ${serviceAccount}, containers: [{ name: c, image: x }] }
---
apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: ${ns} }
spec: { selector: ${JSON.stringify(labels)}, ports: [{ port: 80 }] }
`;

const denyWithoutToken = (ns: string, labels: Record<string, string>) => `
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: deny-without-token, namespace: ${ns} }
spec:
  selector: { matchLabels: ${JSON.stringify(labels)} }
  action: DENY
  rules: [{ from: [{ source: { notRequestPrincipals: ["*"] } }] }]
`;

describe('accessMapFromManifests over the examples', () => {
  test('fraud-scoring: each declared caller, through the door it comes by, on POST /score', () => {
    const rows = mapOf(buildFraudScoring);
    const common = { endpoint: 'fraud/fraud-model', paths: ['/score'], methods: ['POST'], azureRole: '-' };
    expect(rows).toEqual<AccessMapRow[]>([
      // Caller.application(PAYMENTS_API_CLIENT_ID): v2 tokens, the azp claim (request.auth.presenter), through the Gateway API edge
      { ...common, door: `edge ${FRAUD_HOST}`, caller: `azp=${PAYMENTS_API_CLIENT_ID} via ${EDGE}`, principal: EDGE, token: `azp=${PAYMENTS_API_CLIENT_ID}` },
      // Caller.appRole('Fraud.Score'), through the edge: the Gateway fraud-edge of class istio runs as fraud-edge-istio
      { ...common, door: `edge ${FRAUD_HOST}`, caller: `roles=Fraud.Score via ${EDGE}`, principal: EDGE, token: 'roles=Fraud.Score' },
      // grantInvoke(batch binding): its own mesh principal and its identity's oid, straight from the mesh
      { ...common, door: 'mesh', caller: `oid=${BATCH_SCORER_IDENTITY.principalId} via ${BATCH}`, principal: BATCH, token: `oid=${BATCH_SCORER_IDENTITY.principalId}` },
    ]);
  });

  test.each(EXAMPLES.map((e) => [e.name, e] as const))('%s: every endpoint the library protects has rows, none open to every peer, each a valid row', (_name, example) => {
    const { manifests } = synthApp(example.build);
    const rows = accessMapFromManifests(ManifestSet.fromObjects(manifests));
    const allowPolicies = manifests.filter((m) => m.kind === 'AuthorizationPolicy' && m.spec?.action === 'ALLOW');
    const ruleCount = allowPolicies.reduce((n, p) => n + (p.spec.rules?.length ?? 0), 0);
    // every rule of every ALLOW policy gives at least one row
    expect(rows.length).toBeGreaterThanOrEqual(ruleCount);
    for (const r of rows) {
      expect(r.endpoint).toMatch(/^[a-z0-9-]+\/.+$/);
      expect(r.door).toMatch(/^(mesh|edge \S+)$/);
      expect(r.azureRole).toBe('-');
      expect(r.token).not.toBe('');
      // the library's endpoints all require a token: no row lets a request in without one
      expect(r.token).not.toBe('none');
      expect(r.caller).not.toContain('no ALLOW policy');
    }
  });

  test('the test apps: the rules the map cannot hold in its columns are spelled out (azureml-fe ports), v1 and v2 client ids are one row', () => {
    const byName = new Map(TEST_APPS.map((a) => [a.name, a]));
    const fe = mapOf(byName.get('azureml-fe with model pods, and a gRPC model behind a gRPC edge')!.build);
    const router = fe.filter((r) => r.principal === 'cluster.local/ns/azureml/sa/azureml-fe');
    expect(router.length).toBeGreaterThan(0);
    for (const r of router) {
      // the router's coordination ports carry no token (the DENY without token excepts them): token none, ports in the caller
      expect(r.token).toBe('none');
      expect(r.caller).toMatch(/^no token via cluster\.local\/ns\/azureml\/sa\/azureml-fe, if ports=\[\d+(, \d+)*\]$/);
    }
    const both = mapOf(byName.get('every caller kind, both token versions, operations and claim headers')!.build);
    const app = both.filter((r) => r.token.includes('aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee'));
    expect(app.map((r) => r.token)).toEqual(['appid=aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee or azp=aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee']);
  });

  test('public-edges: the door of each edge kind (Istio Gateway on the AKS add-on, NGINX Gateway Fabric, a route to an InferencePool)', () => {
    const rows = mapOf(EXAMPLES.find((e) => e.name === 'public-edges')!.build);
    expect(rows.map((r) => [r.endpoint, r.door, r.principal])).toEqual([
      // F5 NGINX Ingress Controller: its controller is not in the manifests (see the next test)
      ['claims/claims-model', 'mesh', 'cluster.local/ns/nginx-ingress/sa/nginx-ingress'],
      // NGINX Gateway Fabric provisions <gateway>-<class>: embeddings-nginx
      ['embeddings/embeddings-model', 'edge embeddings.contoso.com', 'cluster.local/ns/embeddings/sa/embeddings-nginx'],
      // the HTTPRoute's backend is the InferencePool, whose selector picks the Service's pods
      ['llm/qwen3', 'edge llm.contoso.com', 'cluster.local/ns/llm-edge/sa/llm-istio'],
      // an Istio Gateway selecting the AKS add-on's external ingress gateway, whose pods are installed with the add-on
      ['risk/risk-model', 'edge risk.contoso.com', 'cluster.local/ns/aks-istio-ingress/sa/aks-istio-ingressgateway-external'],
    ]);
  });

  test('an F5 VirtualServer edge reads as mesh until its controller\'s principal is given for the host', () => {
    const example = EXAMPLES.find((e) => e.name === 'public-edges')!;
    const set = ManifestSet.fromObjects(synthApp(example.build).manifests);
    const nic = 'cluster.local/ns/nginx-ingress/sa/nginx-ingress';
    const claims = (rows: AccessMapRow[]) => rows.filter((r) => r.endpoint === 'claims/claims-model').map((r) => [r.door, r.principal]);
    expect(claims(accessMapFromManifests(set))).toEqual([['mesh', nic]]);
    expect(claims(accessMapFromManifests(set, { edgePrincipals: { 'claims.contoso.com': nic } }))).toEqual([['edge claims.contoso.com', nic]]);
    // a host whose routes lead elsewhere does not make this Service's door
    const rows = accessMapFromManifests(set, { edgePrincipals: { 'claims.contoso.com': nic, 'other.contoso.com': nic } });
    expect(claims(rows)).toEqual([['edge claims.contoso.com', nic]]);
  });
});

describe('accessMapFromManifests over foreign manifests', () => {
  test('a namespace-wide ALLOW policy (a notebook platform\'s owner policy) widens every endpoint of the namespace, and says so', () => {
    // https://istio.io/latest/docs/reference/config/security/authorization-policy/:
    // "If any of the ALLOW policies match the request, allow the request." (ALLOW policies are ORed), and
    // "Authorization Policy scope (target) is determined by “metadata/namespace” and an optional “selector”." (no selector: the namespace)
    const rows = mapYaml(`${workload('team-a', 'model', { app: 'model' })}${denyWithoutToken('team-a', { app: 'model' })}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: model-callers, namespace: team-a }
spec:
  selector: { matchLabels: { app: model } }
  rules:
  - from: [{ source: { principals: [cluster.local/ns/jobs/sa/scorer], requestPrincipals: ["https://login.microsoftonline.com/t/v2.0/*"] } }]
    to: [{ operation: { methods: [POST], paths: [/score] } }]
    when: [{ key: "request.auth.claims[roles]", values: [Model.Score] }]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: ns-owner-access-istio, namespace: team-a }
spec:
  rules:
  - from: [{ source: { principals: [cluster.local/ns/kubeflow/sa/notebook-controller-service-account] } }]
  - when: [{ key: "request.headers[kubeflow-userid]", values: [alice@contoso.com] }]
`);
    expect(rows).toEqual<AccessMapRow[]>([
      {
        endpoint: 'team-a/model', door: 'mesh', principal: '*', token: 'any', paths: [], methods: [], azureRole: '-',
        caller: 'any token via any peer, if request.headers[kubeflow-userid] in [alice@contoso.com] (namespace-wide AuthorizationPolicy team-a/ns-owner-access-istio)',
      },
      {
        // the DENY without token still applies: the notebook controller needs a token, any token
        endpoint: 'team-a/model', door: 'mesh', principal: 'cluster.local/ns/kubeflow/sa/notebook-controller-service-account', token: 'any', paths: [], methods: [], azureRole: '-',
        caller: 'any token via cluster.local/ns/kubeflow/sa/notebook-controller-service-account (namespace-wide AuthorizationPolicy team-a/ns-owner-access-istio)',
      },
      {
        endpoint: 'team-a/model', door: 'mesh', principal: 'cluster.local/ns/jobs/sa/scorer', token: 'roles=Model.Score', paths: ['/score'], methods: ['POST'], azureRole: '-',
        caller: 'roles=Model.Score via cluster.local/ns/jobs/sa/scorer',
      },
    ]);
  });

  test('a mesh-wide ALLOW policy in the root namespace applies to every namespace; other namespaces\' policies do not', () => {
    // https://istio.io/latest/docs/reference/config/security/authorization-policy/:
    // "“metadata/namespace” tells which namespace the policy applies. If set to root namespace, the policy applies to all namespaces in a mesh."
    // and for the selector: "If the authorization policy is in the root namespace, the selector will additionally match with workloads in all namespaces."
    const yaml = `${workload('a', 'one', { app: 'one' })}---${workload('b', 'two', { app: 'two' })}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: monitoring, namespace: istio-system }
spec:
  rules: [{ from: [{ source: { principals: [cluster.local/ns/monitoring/sa/prometheus] } }], to: [{ operation: { paths: [/metrics], methods: [GET] } }] }]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: two-from-root, namespace: istio-system }
spec:
  selector: { matchLabels: { app: two } }
  rules: [{ from: [{ source: { principals: [cluster.local/ns/ops/sa/debug] } }] }]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: b-only, namespace: b }
spec:
  rules: [{ from: [{ source: { namespaces: [b] } }] }]
`;
    const rows = mapYaml(yaml);
    expect(rows.map((r) => [r.endpoint, r.principal, r.token, r.caller])).toEqual([
      ['a/one', 'cluster.local/ns/monitoring/sa/prometheus', 'none', 'no token via cluster.local/ns/monitoring/sa/prometheus (mesh-wide AuthorizationPolicy istio-system/monitoring)'],
      ['b/two', '*/ns/b/sa/*', 'none', 'no token via */ns/b/sa/*, if namespaces=[b] (namespace-wide AuthorizationPolicy b/b-only)'],
      ['b/two', 'cluster.local/ns/monitoring/sa/prometheus', 'none', 'no token via cluster.local/ns/monitoring/sa/prometheus (mesh-wide AuthorizationPolicy istio-system/monitoring)'],
      ['b/two', 'cluster.local/ns/ops/sa/debug', 'none', 'no token via cluster.local/ns/ops/sa/debug (root-namespace AuthorizationPolicy istio-system/two-from-root)'],
    ]);
    // another root namespace (the AKS add-on's is aks-istio-system): istio-system is then an ordinary namespace
    const other = mapYaml(yaml, { rootNamespaces: ['aks-istio-system'] });
    expect(other.filter((r) => r.endpoint === 'a/one').map((r) => r.caller)).toEqual(['anyone (no ALLOW policy)']);
  });

  test('pods no ALLOW policy selects are open to every peer: a row says so; a token is required only when a DENY without token covers them', () => {
    // https://istio.io/latest/docs/reference/config/security/authorization-policy/: "If there are no ALLOW policies for the workload, allow the request."
    const open = mapYaml(workload('web', 'site', { app: 'site' }));
    expect(open).toEqual<AccessMapRow[]>([
      { endpoint: 'web/site', door: 'mesh', caller: 'anyone (no ALLOW policy)', principal: '*', token: 'none', paths: [], methods: [], azureRole: '-' },
    ]);
    const tokenOnly = mapYaml(workload('web', 'site', { app: 'site' }) + denyWithoutToken('web', { app: 'site' }));
    expect(tokenOnly.map((r) => [r.caller, r.token])).toEqual([['anyone (no ALLOW policy)', 'any']]);
    // a DENY that excepts some ports does not require a token everywhere
    const partialDeny = mapYaml(`${workload('web', 'site', { app: 'site' })}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: deny, namespace: web }
spec:
  action: DENY
  rules: [{ from: [{ source: { notRequestPrincipals: ["*"] } }], to: [{ operation: { notPorts: ["8081"] } }] }]
`);
    expect(partialDeny.map((r) => r.token)).toEqual(['none']);
  });

  test('an ALLOW policy with no rules admits nobody: no row, and the pods are not open either', () => {
    // https://istio.io/latest/docs/reference/config/security/authorization-policy/: the policy with an empty spec
    // "applies to all workloads in namespace foo. It allows nothing and effectively denies all requests"
    const rows = mapYaml(`${workload('locked', 'model', { app: 'model' })}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: allow-nothing, namespace: locked }
spec: {}
`);
    expect(rows).toEqual([]);
  });

  test('an ALLOW rule with no conditions matches everyone, and reads so', () => {
    const rows = mapYaml(`${workload('open', 'model', { app: 'model' })}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: allow-all, namespace: open }
spec:
  selector: { matchLabels: { app: model } }
  rules: [{}]
`);
    expect(rows.map((r) => [r.caller, r.principal, r.token])).toEqual([['anyone (ALLOW rule with no conditions)', '*', 'none']]);
  });

  test('rules the columns cannot hold still appear, their conditions spelled out: ipBlocks only, notPrincipals, other when keys, notValues, a named subject', () => {
    const rows = mapYaml(`${workload('x', 'model', { app: 'model' })}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: odd, namespace: x }
spec:
  selector: { matchLabels: { app: model } }
  rules:
  - from: [{ source: { ipBlocks: [10.0.0.0/8] } }]
  - from: [{ source: { notPrincipals: [cluster.local/ns/x/sa/bad], requestPrincipals: ["*"] } }]
    to: [{ operation: { notPaths: [/admin*], hosts: [model.x] } }]
  - from: [{ source: { requestPrincipals: ["https://sts.windows.net/t/bob", "https://sts.windows.net/t/alice"] } }]
    when:
    - { key: "request.auth.claims[roles]", notValues: [Banned] }
    - { key: "request.auth.claims[groups]", values: [g1, g2] }
    - { key: "source.ip", values: [10.1.0.0/16] }
`);
    expect(rows.map((r) => [r.principal, r.token, r.caller])).toEqual([
      // requestPrincipals split at the last "/": the subject; values ORed within a key, keys ANDed
      ['*', '(groups=g1 or groups=g2) and (sub=alice or sub=bob) and roles!=Banned',
        '(groups=g1 or groups=g2) and (sub=alice or sub=bob) and roles!=Banned via any peer, if source.ip in [10.1.0.0/16]'],
      ['*', 'any', 'any token via any peer, if notPrincipals=[cluster.local/ns/x/sa/bad], hosts=[model.x], notPaths=[/admin*]'],
      ['*', 'none', 'no token via any peer, if ipBlocks=[10.0.0.0/8]'],
    ]);
  });

  test('one row per source, operation and principal of a rule (sources and operations are ORed)', () => {
    // https://istio.io/latest/docs/reference/config/security/authorization-policy/#Rule:
    // "from specifies the source of a request. If not set, any source is allowed." Each From and each To entry is an alternative.
    const rows = mapYaml(`${workload('x', 'model', { app: 'model' })}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: two, namespace: x }
spec:
  selector: { matchLabels: { app: model } }
  rules:
  - from:
    - source: { principals: [cluster.local/ns/a/sa/one, cluster.local/ns/a/sa/two] }
    to:
    - operation: { methods: [GET], paths: [/info*] }
    - operation: { methods: [POST], paths: [/data] }
`);
    expect(rows.map((r) => [r.principal, r.methods, r.paths])).toEqual([
      ['cluster.local/ns/a/sa/one', ['POST'], ['/data']],
      ['cluster.local/ns/a/sa/one', ['GET'], ['/info*']],
      ['cluster.local/ns/a/sa/two', ['POST'], ['/data']],
      ['cluster.local/ns/a/sa/two', ['GET'], ['/info*']],
    ]);
  });

  test('doors: an Istio Gateway\'s pods in the manifests, the host of the VirtualService that routes to the Service', () => {
    const rows = mapYaml(`${workload('ml', 'model', { app: 'model' })}---${workload('gw', 'ingress', { istio: 'my-ingress' }, 'my-ingress-sa')}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: public, namespace: gw }
spec:
  selector: { istio: my-ingress }
  servers: [{ port: { number: 443, name: https, protocol: HTTPS }, hosts: [api.contoso.com, other.contoso.com], tls: { mode: SIMPLE, credentialName: c } }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: api, namespace: gw }
spec:
  hosts: [api.contoso.com]
  gateways: [public]
  http: [{ route: [{ destination: { host: model.ml.svc.cluster.local } }] }]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: model, namespace: ml }
spec:
  selector: { matchLabels: { app: model } }
  rules:
  - from: [{ source: { principals: [cluster.local/ns/gw/sa/my-ingress-sa, cluster.local/ns/ml/sa/peer] } }]
`);
    expect(rows.filter((r) => r.endpoint === 'ml/model').map((r) => [r.door, r.principal])).toEqual([
      ['edge api.contoso.com', 'cluster.local/ns/gw/sa/my-ingress-sa'],
      ['mesh', 'cluster.local/ns/ml/sa/peer'],
    ]);
    // the gateway's own Service has no policy: open, and shown
    expect(rows.filter((r) => r.endpoint === 'gw/ingress').map((r) => r.caller)).toEqual(['anyone (no ALLOW policy)']);
  });

  test('doors: a Gateway API Gateway\'s automated deployment (<name>-<gatewayClassName>), hosts from the HTTPRoutes that reach the Service\'s pods', () => {
    const rows = mapYaml(`${workload('ml', 'model', { app: 'model' })}
---
apiVersion: v1
kind: Service
metadata: { name: model-canary, namespace: ml }
spec: { selector: { app: model, track: canary }, ports: [{ port: 80 }] }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: edge, namespace: ingress }
spec:
  gatewayClassName: istio
  listeners: [{ name: https, port: 443, protocol: HTTPS, hostname: "*.contoso.com" }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: to-canary, namespace: ml }
spec:
  parentRefs: [{ name: edge, namespace: ingress }]
  hostnames: [canary.contoso.com]
  rules: [{ backendRefs: [{ name: model-canary, port: 80 }] }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: elsewhere, namespace: ml }
spec:
  parentRefs: [{ name: edge, namespace: ingress }]
  hostnames: [docs.contoso.com]
  rules: [{ backendRefs: [{ name: docs, port: 80 }] }]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: model, namespace: ml }
spec:
  selector: { matchLabels: { app: model } }
  rules: [{ from: [{ source: { principals: [cluster.local/ns/ingress/sa/edge-istio], requestPrincipals: ["*"] } }] }]
`);
    // model-canary refines model's selector: one endpoint, reached through the canary Service's host only
    expect(rows.map((r) => [r.endpoint, r.door, r.token])).toEqual([['ml/model', 'edge canary.contoso.com', 'any']]);
  });

  test('doors: a Gateway API Gateway whose ServiceAccount an annotation names; a waypoint is no edge', () => {
    // Istio's release note https://github.com/istio/istio/blob/master/releasenotes/notes/gateway-naming.yaml: "Gateway naming conventions
    // to be concatenation of `Name` and `GatewayClassName`. ... Naming convention affects name of Deployment, Service and Service Account."
    // and "The `gateway.istio.io/name-override` and `gateway.istio.io/service-account` annotations can be used to continue using the old convention"
    // (the deployment controller reads the ServiceAccount from gateway.istio.io/service-account, else the default name)
    const yaml = (annotations: string, cls = 'istio') => `${workload('ml', 'model', { app: 'model' })}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: edge, namespace: ml, annotations: { ${annotations} } }
spec: { gatewayClassName: ${cls}, listeners: [{ name: http, port: 80, protocol: HTTP, hostname: a.contoso.com }] }
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: model, namespace: ml }
spec:
  selector: { matchLabels: { app: model } }
  rules: [{ from: [{ source: { principals: [cluster.local/ns/ml/sa/shared-gw, cluster.local/ns/ml/sa/edge-istio-waypoint] } }] }]
`;
    const doors = (rows: AccessMapRow[]) => rows.map((r) => [r.principal, r.door]);
    expect(doors(mapYaml(yaml('gateway.istio.io/service-account: shared-gw')))).toEqual([
      // no route leads anywhere: the listener's hostname
      ['cluster.local/ns/ml/sa/shared-gw', 'edge a.contoso.com'],
      ['cluster.local/ns/ml/sa/edge-istio-waypoint', 'mesh'],
    ]);
    expect(doors(mapYaml(yaml('', 'istio-waypoint')))).toEqual([
      ['cluster.local/ns/ml/sa/edge-istio-waypoint', 'mesh'],
      ['cluster.local/ns/ml/sa/shared-gw', 'mesh'],
    ]);
  });

  test('a policy on only some of a Service\'s pods says which; an ALLOW policy protecting no Service is an endpoint of its own', () => {
    const rows = mapYaml(`${workload('ml', 'blue', { app: 'model', version: 'blue' })}
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: green, namespace: ml }
spec:
  selector: { matchLabels: { app: model, version: green } }
  template: { metadata: { labels: { app: model, version: green } }, spec: { containers: [{ name: c, image: x }] } }
---
apiVersion: v1
kind: Service
metadata: { name: model, namespace: ml }
spec: { selector: { app: model }, ports: [{ port: 80 }] }
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: blue-only, namespace: ml }
spec:
  selector: { matchLabels: { version: blue } }
  rules: [{ from: [{ source: { principals: [cluster.local/ns/t/sa/tester] } }] }]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: batch, namespace: jobs }
spec:
  selector: { matchLabels: { app: batch } }
  rules: [{ from: [{ source: { principals: [cluster.local/ns/t/sa/cron] } }] }]
`);
    expect(rows.map((r) => [r.endpoint, r.caller])).toEqual([
      ['jobs/pods app=batch', 'no token via cluster.local/ns/t/sa/cron'],
      ['ml/model', 'anyone (no ALLOW policy) (only Deployment ml/green)'],
      ['ml/model', 'no token via cluster.local/ns/t/sa/tester (only Deployment ml/blue)'],
    ]);
  });

  test('ambient: a policy attached by targetRefs to the Service, or to the waypoint the Service uses', () => {
    const rows = mapYaml(`${workload('amb', 'model', { app: 'model' })}---${workload('amb', 'other', { app: 'other' })}
---
apiVersion: v1
kind: Namespace
metadata: { name: amb, labels: { istio.io/dataplane-mode: ambient, istio.io/use-waypoint: waypoint } }
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: model, namespace: amb }
spec:
  targetRefs: [{ kind: Service, group: "", name: model }]
  rules: [{ from: [{ source: { principals: [cluster.local/ns/c/sa/caller] } }] }]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: at-waypoint, namespace: amb }
spec:
  targetRefs: [{ kind: Gateway, group: gateway.networking.k8s.io, name: waypoint }]
  rules: [{ from: [{ source: { principals: [cluster.local/ns/c/sa/all] } }] }]
`);
    expect(rows.map((r) => [r.endpoint, r.principal])).toEqual([
      ['amb/model', 'cluster.local/ns/c/sa/all'],
      ['amb/model', 'cluster.local/ns/c/sa/caller'],
      ['amb/other', 'cluster.local/ns/c/sa/all'],
    ]);
  });

  test('an ALLOW policy on an edge Gateway (targetRefs) is shown under the Gateway, not dropped', () => {
    const rows = mapYaml(`
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: office-only, namespace: ingress }
spec:
  targetRefs: [{ kind: Gateway, group: gateway.networking.k8s.io, name: public }]
  rules: [{ from: [{ source: { remoteIpBlocks: [203.0.113.0/24] } }] }]
`);
    expect(rows.map((r) => [r.endpoint, r.caller])).toEqual([['ingress/Gateway public', 'no token via any peer, if remoteIpBlocks=[203.0.113.0/24]']]);
  });

  test('the same manifests in another file order give the same rows', () => {
    const docs = [workload('a', 'one', { app: 'one' }), denyWithoutToken('a', { app: 'one' }), workload('b', 'two', { app: 'two' })];
    expect(mapYaml(docs.join('---\n'))).toEqual(mapYaml([...docs].reverse().join('---\n')));
  });
});

import { Testing, Chart } from 'cdk8s';
import { bindGatewayApi } from '../lib/edge/gateway-api';
import { SecureMlEndpoint, EndpointBackend, EntraTenant, Caller, TlsCertificate, MeshNamespace } from '../lib';
import { sharedValidator, formatViolations } from '../test/conformance/validator';
import * as YAML from 'yaml';
const app = Testing.app();
const chart = new Chart(app, 'c');
new MeshNamespace(chart, 'ns', { name: 'ml' });
new SecureMlEndpoint(chart, 'E', {
  backend: EndpointBackend.service({ name: 'model', namespace: 'ml', port: 8080, selector: { app: 'model' }, targetPort: 9000 }),
  tenant: new EntraTenant({ tenantId: '00000000-1111-4222-8333-444444444444' }),
  audiences: ['aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee'],
  callers: [Caller.appRole('X.Invoke')],
  deployments: [{ name: 'blue', weight: 90 }, { name: 'green', weight: 10 }],
  claimToHeaders: [{ claim: 'oid', header: 'x-oid' }],
  edge: { bind: (ctx) => { const b = bindGatewayApi(ctx, { host: 'a.contoso.com', tls: TlsCertificate.fromSecret('cert'), gateway: { namespace: 'gw' } }, { product: 'Istio', gatewayClassName: 'istio', serviceAccountFor: (n) => `${n}-istio`, maxGatewayNameLength: 57 });
    return { host: 'a.contoso.com', uniquenessKey: 'x', meshPrincipals: [b.principal], apiObjects: b.apiObjects, sources: [b.source], problems: b.problems }; } },
});
const docs = YAML.parseAllDocuments(app.synthYaml()).map(d => d.toJS()).filter(Boolean);
const mine = docs.filter((d: any) => /gateway|Service$|ReferenceGrant/.test(d.apiVersion + d.kind) );
console.log(YAML.stringify(docs.filter((d: any) => d.apiVersion.startsWith('gateway') || (d.kind === 'Service'))));
console.log(formatViolations(sharedValidator().validateAll(docs)));
console.log(JSON.stringify(docs.find((d:any)=>d.kind==='AuthorizationPolicy' && d.spec.action!=='DENY').spec.rules));

import { App, Chart } from 'cdk8s';
import * as YAML from 'yaml';
import { Caller, Edge, EndpointBackend, EntraApplication, EntraTenant, MeshNamespace, MeshProfile, SecureMlEndpoint, TlsCertificate, ExtAuthzMeshConfig } from '../../lib';
const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const AUD = '0b7e6f4c-3d2a-4e19-8c57-a1f0e2d3c4b5';
const OIDC = `https://westeurope.oic.prod-aks.azure.com/${TID}/1b2c3d4e-5f60-4a1b-9c2d-3e4f5a6b7c8d/`;
const app = new App({ outdir: '/tmp/rev-a' });
const mesh = MeshProfile.aksIstioAddon('asm-1-28');
const chart = new Chart(app, 'fraud', { namespace: 'fraud' });
new MeshNamespace(chart, 'Namespace', { name: 'fraud', mesh });
new ExtAuthzMeshConfig(chart, 'Ext', { mesh });
new SecureMlEndpoint(chart, 'Endpoint', {
  backend: EndpointBackend.service({ name: 'fraud', port: 80, targetPort: 8080, selector: { app: 'fraud' } }),
  tenant: new EntraTenant({ tenantId: TID }), audiences: [AUD], mesh,
  callers: [Caller.appRole('Fraud.Score')],
  deployments: [{ name: 'blue', weight: 90 }, { name: 'green', weight: 10 }],
  edge: Edge.istioGatewayApi({ host: 'fraud.contoso.com', tls: TlsCertificate.fromSecret('fraud-tls'), validateTokens: true, sourceRanges: ['10.0.0.0/8'],
    gateway: { namespace: 'gw' },
    browserSignIn: { application: EntraApplication.fromClientId(AUD), oidcIssuerUrl: OIDC, cookieSecret: { secretName: 'oauth2-proxy-cookie', key: 'secret' } } as any }),
});
console.log(app.synthYaml());

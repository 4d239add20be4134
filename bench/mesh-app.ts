/**
 * The apps of the runtime-cost benchmark (`npm run bench:mesh`, see bench/mesh.ts):
 * endpoint i in namespace `model-<i>` (an existing Service `model`), the tenant of
 * bench/synth.ts, the AKS add-on's external ingress gateway as its edge with an
 * appRole caller through it, a blue/green split, and a workload caller: a
 * MeshIdentityBinding in namespace `client-<i>` granted invoke.
 */
import { App, Chart } from 'cdk8s';
import { AKS_ISTIO_EXTERNAL_GATEWAY, Caller, CallerSidecar, Edge, EndpointBackend, EntraTenant, ManagedIdentity, MeshIdentityBinding, SecureMlEndpoint, TlsCertificate } from '../lib';

export const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
export const OIDC = `https://westeurope.oic.prod-aks.azure.com/${TID}/1b2c3d4e-5f60-4a1b-9c2d-3e4f5a6b7c8d/`;
/** The caller workloads' ServiceAccount (in `client-<i>`). */
export const CALLER_SERVICE_ACCOUNT = 'scorer';
/** The labels of endpoint i's pods (the Service `model`'s selector). */
export const MODEL_SELECTOR: Record<string, string> = { app: 'model' };
export const MODEL_PORT = 80;

export const guid = (n: number, salt: number): string => {
  const hex = (n * 7919 + salt * 104729).toString(16).padStart(12, '0').slice(-12);
  return `${salt.toString(16).padStart(8, '0')}-0000-4000-8000-${hex}`;
};

/** The kinds of callers of the Y measurement (one endpoint, k callers of one kind). */
export type CallerKind = 'appRole' | 'group' | 'workload';

export interface MeshAppOptions {
  /** Number of endpoints. */
  readonly endpoints: number;
  /** Render one CallerSidecar per caller namespace (`client-<i>`). */
  readonly callerSidecar: boolean;
}

/** The app of the X measurement: `endpoints` endpoints, each with an edge, an appRole caller, a blue/green split and a workload caller. */
export function buildMeshApp(app: App, opts: MeshAppOptions): void {
  const tenant = new EntraTenant({ tenantId: TID });
  const chart = new Chart(app, 'models');
  for (let i = 0; i < opts.endpoints; i++) {
    const ns = `model-${i}`;
    const endpoint = new SecureMlEndpoint(chart, `Endpoint${i}`, {
      namespace: ns,
      backend: EndpointBackend.service({ name: 'model', namespace: ns, port: MODEL_PORT, selector: MODEL_SELECTOR }),
      tenant,
      audiences: [guid(i, 1)],
      callers: [Caller.appRole(`Model${i}.Score`)],
      deployments: [{ name: 'blue', weight: 90 }, { name: 'green', weight: 10 }],
      edge: Edge.istioGateway({ host: `model-${i}.contoso.com`, gateway: AKS_ISTIO_EXTERNAL_GATEWAY, tls: TlsCertificate.fromSecret(`model-${i}-tls`) }),
    });
    const binding = new MeshIdentityBinding(chart, `Caller${i}`, {
      identity: ManagedIdentity.existing({ clientId: guid(i, 3), principalId: guid(i, 4) }),
      oidcIssuerUrl: OIDC,
      namespace: `client-${i}`,
      serviceAccountName: CALLER_SERVICE_ACCOUNT,
    });
    endpoint.grantInvoke(binding);
    if (opts.callerSidecar) new CallerSidecar(chart, `Scope${i}`, { namespace: `client-${i}` });
  }
}

/** The app of the Y measurement: one endpoint (`model-0`) with `callers` callers of one kind. */
export function buildCallersApp(app: App, kind: CallerKind, callers: number): void {
  const tenant = new EntraTenant({ tenantId: TID });
  const chart = new Chart(app, 'callers');
  const ns = 'model-0';
  const endpoint = new SecureMlEndpoint(chart, 'Endpoint0', {
    namespace: ns,
    backend: EndpointBackend.service({ name: 'model', namespace: ns, port: MODEL_PORT, selector: MODEL_SELECTOR }),
    tenant,
    audiences: [guid(0, 1)],
    callers: kind === 'appRole' ? Array.from({ length: callers }, (_, k) => Caller.appRole(`Role${k}`))
      : kind === 'group' ? Array.from({ length: callers }, (_, k) => Caller.group(guid(k, 2)))
        : [],
    deployments: [{ name: 'blue', weight: 90 }, { name: 'green', weight: 10 }],
    edge: Edge.istioGateway({ host: 'model-0.contoso.com', gateway: AKS_ISTIO_EXTERNAL_GATEWAY, tls: TlsCertificate.fromSecret('model-0-tls') }),
  });
  if (kind === 'workload') {
    for (let k = 0; k < callers; k++) {
      const binding = new MeshIdentityBinding(chart, `Caller${k}`, {
        identity: ManagedIdentity.existing({ clientId: guid(k, 3), principalId: guid(k, 4) }),
        oidcIssuerUrl: OIDC,
        namespace: `client-${k}`,
        serviceAccountName: CALLER_SERVICE_ACCOUNT,
      });
      endpoint.grantInvoke(binding);
    }
  }
}

/**
 * `explain` over the synthesized output agrees with what the declaration
 * intends, for random valid apps (fast-check, fixed seed) and random requests
 * drawn from the declaration: a declared caller on a declared path and
 * method through its door is allowed, and a mutation of it (another role,
 * oid, group or app, another path, another method, no token, plaintext, an
 * undeclared principal) is allowed only when another declared caller admits
 * it. The intent is computed here from the spec alone (`intended`), never
 * from the manifests.
 *
 * PROPERTY_RUNS (default 12) and PROPERTY_SEED (default 20261123) tune it.
 */
import { Testing } from 'cdk8s';
import * as fc from 'fast-check';
import { TokenVersion } from '../../lib';
import { ExplainRequest, ExplainResult, ExplainToken, explain } from '../../lib/access/explain';
import { ManifestSet } from '../../lib/access/manifests';
import { nginxGatewayFabricResourceName } from '../../lib/edge/nginx-gateway-fabric';
import { API, AppSpec, CallerSpec, EndpointSpec, TID, appSpecArb, buildSpec, guid } from './arbitraries';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 12);
const SEED = Number(process.env.PROPERTY_SEED ?? 20261123);

const V1 = `https://sts.windows.net/${TID}/`;
const V2 = `https://login.microsoftonline.com/${TID}/v2.0`;
const STRANGER = 'cluster.local/ns/ns-stranger/sa/stranger';

/** A caller of an endpoint as the declaration says it: token conditions, or a workload (binding) principal. */
type Declared = { kind: 'token'; caller: CallerSpec } | { kind: 'workload'; binding: number };

/** Where a token caller's requests enter: the edge host (and the principal explain cannot read), or straight in. */
function door(e: EndpointSpec, i: number): { viaEdge?: string; edgePrincipal?: string } {
  const host = `model-${i}.contoso.com`;
  switch (e.edge) {
    case 'none': return {};
    // the controllers' documented defaults (installed outside the manifests, assumed in the mesh)
    case 'ingress-nginx': return { viaEdge: host, edgePrincipal: 'cluster.local/ns/ingress-nginx/sa/ingress-nginx' };
    case 'nic': return { viaEdge: host, edgePrincipal: 'cluster.local/ns/nginx-ingress/sa/nginx-ingress' };
    case 'istio': return { viaEdge: host };
    case 'istio-gateway-api': return i % 3 === 2 ? { viaEdge: host, edgePrincipal: 'cluster.local/ns/platform-gateways/sa/platform-istio' } : { viaEdge: host };
    case 'nginx-gateway-fabric': return i % 2 === 1
      ? { viaEdge: host, edgePrincipal: `cluster.local/ns/platform-gateways/sa/${nginxGatewayFabricResourceName('platform-nginx', 'nginx')}` }
      : { viaEdge: host };
  }
}

function issuers(v: TokenVersion): string[] {
  return v === TokenVersion.V1 ? [V1] : v === TokenVersion.V2 ? [V2] : [V1, V2];
}

function audiences(v: TokenVersion): string[] {
  return v === TokenVersion.V1 ? ['api://models'] : [API, 'api://models'];
}

/** Claims that satisfy `c` for a token of issuer `iss`. */
function claimsFor(c: CallerSpec, iss: string): Record<string, unknown> {
  switch (c.kind) {
    case 'appRole': return { roles: [`Role${c.n}.Invoke`] };
    case 'group': return { groups: [guid(1, c.n)] };
    case 'application': return iss === V1 ? { appid: guid(2, c.n) } : { azp: guid(2, c.n) };
    case 'servicePrincipal': return { oid: guid(3, c.n) };
    case 'user': return { oid: guid(4, c.n) };
    default: return {};
  }
}

/** The same claims, naming someone else. */
function otherClaims(claims: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(claims)) out[k] = k === 'roles' ? ['Other.Invoke'] : Array.isArray(v) ? [guid(9, 99)] : guid(9, 99);
  return Object.keys(out).length ? out : { roles: ['Other.Invoke'] };
}

interface Req {
  readonly endpoint: number;
  readonly viaEdge?: string;
  readonly edgePrincipal?: string;
  readonly principal?: string;
  readonly token?: { iss: string; aud: string; claims: Record<string, unknown> };
  readonly method: string;
  readonly path: string;
}

/** What the declaration intends for `r`: some declared caller admits it through its door. */
function intended(spec: AppSpec, r: Req): boolean {
  const e = spec.endpoints[r.endpoint];
  if (e.paths && !(r.method === 'POST' && r.path === '/score')) return false;
  const t = r.token;
  const tokenOk = !!t && issuers(e.tokenVersion).includes(t.iss) && audiences(e.tokenVersion).includes(t.aud);
  if (!tokenOk) return false;
  const d = door(e, r.endpoint);
  const viaDoor = d.viaEdge ? r.viaEdge === d.viaEdge : !r.viaEdge && r.principal !== undefined;
  const has = (k: string, v: string) => { const x = t.claims[k]; return Array.isArray(x) ? x.includes(v) : x === v; };
  for (const c of e.callers) {
    if (!viaDoor) break;
    const need = claimsFor(c, t.iss);
    if (Object.entries(need).every(([k, v]) => has(k, Array.isArray(v) ? v[0] : String(v)))) return true;
  }
  // workload callers: their own principal, straight in, with their identity's oid when it is known
  return spec.bindings.some((b, j) => new Set(b.grants).has(r.endpoint) && !r.viaEdge
    && r.principal === `cluster.local/ns/ns-${b.namespace}/sa/caller-${j}` && (b.create || has('oid', guid(6, j))));
}

function toExplain(r: Req): ExplainRequest {
  const token: ExplainToken | undefined = r.token ? { claims: { iss: r.token.iss, aud: r.token.aud, sub: 'caller', tid: TID, ...r.token.claims } } : undefined;
  return {
    to: { namespace: '', service: `model-${r.endpoint}` }, method: r.method, path: r.path, token,
    principal: r.principal, viaEdge: r.viaEdge, edgePrincipal: r.edgePrincipal,
  };
}

/** A declared caller's request through its door, on a declared path. */
function declaredRequest(spec: AppSpec, i: number, who: Declared, issuerPick: number): Req {
  const e = spec.endpoints[i];
  const iss = issuers(e.tokenVersion)[issuerPick % issuers(e.tokenVersion).length];
  const aud = audiences(e.tokenVersion)[issuerPick % audiences(e.tokenVersion).length];
  if (who.kind === 'workload') {
    const b = spec.bindings[who.binding];
    return { endpoint: i, principal: `cluster.local/ns/ns-${b.namespace}/sa/caller-${who.binding}`, token: { iss, aud, claims: b.create ? {} : { oid: guid(6, who.binding) } }, method: 'POST', path: '/score' };
  }
  const d = door(e, i);
  return { endpoint: i, ...d, principal: d.viaEdge ? undefined : 'cluster.local/ns/ns-client/sa/client', token: { iss, aud, claims: claimsFor(who.caller, iss) }, method: 'POST', path: '/score' };
}

const MUTATIONS = ['none', 'claims', 'path', 'method', 'no-token', 'plaintext', 'principal'] as const;
type Mutation = typeof MUTATIONS[number];

function mutate(r: Req, m: Mutation): Req {
  switch (m) {
    case 'none': return r;
    case 'claims': return { ...r, token: r.token && { ...r.token, claims: otherClaims(r.token.claims) } };
    case 'path': return { ...r, path: '/admin' };
    case 'method': return { ...r, method: 'GET' };
    case 'no-token': return { ...r, token: undefined };
    // a plaintext client straight to the Service (bypassing any edge)
    case 'plaintext': return { ...r, viaEdge: undefined, edgePrincipal: undefined, principal: undefined };
    // a mesh principal nobody declared, straight to the Service (bypassing any edge)
    case 'principal': return { ...r, viaEdge: undefined, edgePrincipal: undefined, principal: STRANGER };
  }
}

function namespaceOfEndpoint(spec: AppSpec, i: number): string {
  return `ns-${spec.endpoints[i].namespace}`;
}

describe('explain agrees with the declaration', () => {
  test('declared callers through their door are allowed; mutations are denied unless another declared caller admits them', () => {
    const picks = fc.array(fc.record({ endpoint: fc.nat(), caller: fc.nat(), issuer: fc.nat(1), mutation: fc.constantFrom(...MUTATIONS) }), { minLength: 4, maxLength: 12 });
    let allowed = 0;
    let denied = 0;
    fc.assert(fc.property(appSpecArb(5), picks, (spec, ps) => {
      const app = Testing.app();
      buildSpec(app, spec);
      // the backends are existing Services (EndpointBackend.service): the cluster's objects, added beside the output
      const services = spec.endpoints.map((_, i) => `apiVersion: v1\nkind: Service\nmetadata: { name: model-${i}, namespace: ${namespaceOfEndpoint(spec, i)} }\n`
        + `spec: { selector: { app: model-${i} }, ports: [{ name: http, port: 8080, targetPort: 8080 }] }`);
      const set = ManifestSet.parse([app.synthYaml(), ...services].join('\n---\n'));
      for (const p of ps) {
        const i = p.endpoint % spec.endpoints.length;
        const e = spec.endpoints[i];
        const declared: Declared[] = [
          ...e.callers.map((caller) => ({ kind: 'token' as const, caller })),
          ...spec.bindings.flatMap((b, j) => (b.grants.includes(i) ? [{ kind: 'workload' as const, binding: j }] : [])),
        ];
        const who = declared[p.caller % declared.length];
        const r = mutate(declaredRequest(spec, i, who, p.issuer), p.mutation);
        const request = toExplain(r);
        const result: ExplainResult = explain(set, { ...request, to: { namespace: namespaceOfEndpoint(spec, i), service: `model-${i}` } });
        const want = intended(spec, r);
        const got = result.verdict === 'ALLOW';
        if (got !== want) {
          throw new Error(`endpoint ${i} (${JSON.stringify(e)}), caller ${JSON.stringify(who)}, mutation ${p.mutation}: explain says ${result.verdict} ${result.status}, `
            + `the declaration intends ${want ? 'ALLOW' : 'DENY'}\nrequest ${JSON.stringify(r)}\n${result.reasons.join('\n')}\n${result.trace.join('\n')}`);
        }
        if (got) allowed++;
        else {
          denied++;
          expect(result.reasons.length).toBeGreaterThan(0);
        }
        if (p.mutation === 'plaintext') expect(result.status).toBe(503);
      }
    }), { numRuns: RUNS, seed: SEED });
    // both sides were exercised
    expect(allowed).toBeGreaterThan(0);
    expect(denied).toBeGreaterThan(0);
  });
});

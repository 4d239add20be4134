/**
 * The egress side of `explain`: whether a mesh workload's request to an
 * external host (an Azure ML managed online endpoint, Entra) may leave the
 * mesh. Istio decides only that: the external service authorizes the token
 * itself (Azure ML checks the caller's role assignment, which is not in the
 * manifests).
 *
 * @see https://istio.io/latest/docs/reference/config/networking/sidecar/
 * @see https://istio.io/latest/docs/reference/config/networking/service-entry/
 */
import { ManifestEntry, ManifestSet, matchesLabels, namespaceOf, objectRef } from './manifests';

/** What the egress check answers (explain wraps it in an ExplainResult). */
export interface EgressOutcome {
  readonly verdict: 'ALLOW' | 'DENY';
  readonly status: number;
  readonly decidedBy?: { readonly policy: string; readonly action: string };
  readonly reasons: string[];
}

function hostMatches(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase();
  const h = host.toLowerCase();
  if (p === '*') return true;
  if (p.startsWith('*.')) return h.endsWith(p.slice(1));
  return p === h;
}

function exportedTo(se: ManifestEntry, ns: string): boolean {
  const exportTo: string[] | undefined = se.object.spec?.exportTo;
  if (!exportTo || exportTo.length === 0) return true;
  const own = namespaceOf(se.object);
  return exportTo.some((x) => x === '*' || (x === '.' && own === ns) || x === ns);
}

/** True when a Sidecar's `egress[].hosts` (`<ns>/<host>`) import `host` from namespace `seNs` for a proxy in `ns`. */
function sidecarImports(sidecar: ManifestEntry | undefined, ns: string, seNs: string, host: string): boolean {
  if (!sidecar) return true;
  const egress: any[] = sidecar.object.spec?.egress ?? [];
  if (egress.length === 0) return true;
  return egress.some((e) => ((e.hosts ?? []) as string[]).some((h) => {
    const [n, hn] = h.includes('/') ? h.split('/', 2) : ['*', h];
    const nsOk = n === '*' || (n === '.' && seNs === ns) || n === seNs;
    return nsOk && hostMatches(hn, host);
  }));
}

/** The Sidecar that applies to the workload of `principal` (selected, else namespace-wide, else mesh-wide), and its namespace. */
function sidecarOf(set: ManifestSet, principal: string, roots: readonly string[]): { ns: string; sa: string; sidecar?: ManifestEntry; pod?: ReturnType<ManifestSet['podTemplates']>[number] } {
  const m = /^(?:spiffe:\/\/)?[^/]+\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(principal);
  const ns = m?.[1] ?? '';
  const sa = m?.[2] ?? '';
  const pod = set.podTemplates().find((p) => p.namespace === ns && p.serviceAccount === sa);
  const sidecars = set.ofKind('Sidecar', 'networking.istio.io');
  const selected = sidecars.find((s) => namespaceOf(s.object) === ns && s.object.spec?.workloadSelector?.labels && pod && matchesLabels(s.object.spec.workloadSelector.labels, pod.labels));
  const nsWide = sidecars.find((s) => namespaceOf(s.object) === ns && !s.object.spec?.workloadSelector);
  const meshWide = sidecars.find((s) => roots.includes(namespaceOf(s.object)) && !s.object.spec?.workloadSelector);
  return { ns, sa, sidecar: selected ?? nsWide ?? meshWide, pod };
}

/**
 * A request from a mesh workload to an in-mesh Service: refused at the
 * caller's own sidecar when a Sidecar there does not import the Service
 * (`egress.hosts`). The proxy then has no cluster for the host: the request
 * leaves as plain TCP to the pod address (PassthroughCluster; BlackHoleCluster
 * under REGISTRY_ONLY), which a STRICT mutual TLS backend refuses. Undefined
 * when the Service is imported (or no Sidecar narrows the caller).
 */
export function explainMeshEgress(set: ManifestSet, principal: string, serviceNamespace: string, host: string, roots: readonly string[], trace: string[]): EgressOutcome | undefined {
  const { ns, sidecar } = sidecarOf(set, principal, roots);
  if (!sidecar || sidecarImports(sidecar, ns, serviceNamespace, host)) {
    if (sidecar) trace.push(`  caller's Sidecar: ${objectRef(sidecar.object)} imports ${serviceNamespace}/${host}`);
    return undefined;
  }
  const registryOnly = sidecar.object.spec?.outboundTrafficPolicy?.mode === 'REGISTRY_ONLY';
  const reason = `${objectRef(sidecar.object)} does not import ${serviceNamespace}/${host} (egress hosts), so the caller's proxy has no route to it: `
    + (registryOnly ? 'REGISTRY_ONLY sends it to the BlackHoleCluster (502)' : 'it leaves as plain TCP (PassthroughCluster), which the STRICT mutual TLS backend refuses (503)');
  trace.push(`  caller's Sidecar: ${reason}`);
  return { verdict: 'DENY', status: registryOnly ? 502 : 503, decidedBy: { policy: objectRef(sidecar.object), action: 'SIDECAR_EGRESS' }, reasons: [reason] };
}

/**
 * Evaluates a request from the workload of `principal` to `host`:`port`.
 *
 * @param port the port the application connects to (default: the ServiceEntry's first port)
 */
export function explainEgress(set: ManifestSet, principal: string, host: string, port: number | undefined, roots: readonly string[], trace: string[]): EgressOutcome {
  const { ns, sa, sidecar, pod } = sidecarOf(set, principal, roots);
  trace.push(`request: from ${pod ? `${pod.kind} ${ns}/${pod.name}` : `a workload of ServiceAccount ${ns}/${sa}`} to the external host ${host}`);
  const mode: string = sidecar?.object.spec?.outboundTrafficPolicy?.mode ?? 'ALLOW_ANY';
  trace.push(sidecar ? `  Sidecar: ${objectRef(sidecar.object)} outboundTrafficPolicy ${mode}` : '  Sidecar: none applies; the mesh default outboundTrafficPolicy ALLOW_ANY is assumed (meshConfig is not in the manifests)');
  const entries = set.ofKind('ServiceEntry', 'networking.istio.io').filter((se) => ((se.object.spec?.hosts ?? []) as string[]).some((h) => hostMatches(h, host)));
  const visible = entries.filter((se) => {
    const ok = exportedTo(se, ns) && sidecarImports(sidecar, ns, namespaceOf(se.object), host);
    if (!ok) trace.push(`  ServiceEntry: ${objectRef(se.object)} is not visible to ${ns} (exportTo, or the Sidecar's egress hosts)`);
    return ok;
  });
  const withPort = visible.filter((se) => port === undefined || ((se.object.spec?.ports ?? []) as any[]).some((p) => p.number === port));
  const tokenNote = `the token is checked by ${host}, not by the mesh (for Azure ML: the caller's role assignment, in the Azure plan, not in the manifests)`;
  if (withPort.length > 0) {
    const se = withPort[0];
    const p = port ?? se.object.spec?.ports?.[0]?.number;
    trace.push(`  ServiceEntry: ${objectRef(se.object)} registers ${host}:${p} for ${ns}`);
    return { verdict: 'ALLOW', status: 200, decidedBy: { policy: objectRef(se.object), action: 'EGRESS' }, reasons: [tokenNote] };
  }
  if (mode === 'REGISTRY_ONLY') {
    const reason = `host ${host}${port ? `:${port}` : ''} is not in the mesh registry for ${ns}${visible.length ? ` (registered on other ports: ${visible.flatMap((se) => ((se.object.spec?.ports ?? []) as any[]).map((x) => x.number)).join(', ')})` : ''}, and ${objectRef(sidecar!.object)} is REGISTRY_ONLY: 502 (BlackHoleCluster)`;
    trace.push(`  ${reason}`);
    return { verdict: 'DENY', status: 502, decidedBy: { policy: objectRef(sidecar!.object), action: 'REGISTRY_ONLY' }, reasons: [reason] };
  }
  trace.push('  no ServiceEntry: ALLOW_ANY passes the request through (PassthroughCluster)');
  return { verdict: 'ALLOW', status: 200, reasons: [`ALLOW_ANY: the mesh does not restrict egress from ${ns}`, tokenNote] };
}

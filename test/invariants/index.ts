/**
 * DESIGN.md section 4 as reusable checks over synthesized objects. Each
 * returns a list of violations (empty when the invariant holds), so the same
 * checks serve example tests, test apps and property tests.
 */
import type { AzurePlanDocument } from '../../lib';
import { Manifest } from '../util';

const V1_ISSUER = /^https:\/\/sts\.(windows\.net|chinacloudapi\.cn)\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\/$/;
const V2_ISSUER = /^https:\/\/login\.(microsoftonline\.com|microsoftonline\.us|partner\.microsoftonline\.cn)\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\/v2\.0$/;
const SNIPPETS = ['configuration-snippet', 'server-snippet', 'auth-snippet', 'stream-snippet'];

const sameLabels = (a: Record<string, string> | undefined, b: Record<string, string> | undefined) =>
  JSON.stringify(Object.entries(a ?? {}).sort()) === JSON.stringify(Object.entries(b ?? {}).sort());

const id = (m: Manifest) => `${m.kind} ${m.metadata.namespace ?? ''}/${m.metadata.name}`;

/**
 * 1. Every workload selected by a RequestAuthentication is selected by a DENY
 * notRequestPrincipals ["*"] policy; every Gateway a RequestAuthentication
 * targets (`targetRefs`, token validation at a Gateway API edge) is targeted
 * by such a DENY too, in the same namespace.
 */
export function tokenRequired(ms: Manifest[]): string[] {
  // a DENY that covers every port, or every port but azureml-fe's coordination ports (notPorts only)
  const everyPort = (r: any) => !r.to || (r.to.length === 1 && Object.keys(r.to[0].operation ?? {}).join() === 'notPorts');
  const denies = ms.filter((m) => m.kind === 'AuthorizationPolicy' && m.spec?.action === 'DENY' &&
    (m.spec.rules ?? []).some((r: any) => everyPort(r) && !r.when && (r.from ?? []).length === 1 &&
      JSON.stringify(r.from[0].source) === JSON.stringify({ notRequestPrincipals: ['*'] })));
  // a RequestAuthentication attached to a Gateway (targetRefs): a DENY attached to the same Gateway, which may leave
  // out the plain-HTTP listener (it only redirects) and the sign-in proxy's own paths (notPorts, notPaths)
  const gatewayDenies = ms.filter((m) => m.kind === 'AuthorizationPolicy' && m.spec?.action === 'DENY' && m.spec.targetRefs &&
    (m.spec.rules ?? []).some((r: any) => !r.when && (r.from ?? []).length === 1 &&
      JSON.stringify(r.from[0].source) === JSON.stringify({ notRequestPrincipals: ['*'] }) &&
      (!r.to || (r.to.length === 1 && Object.keys(r.to[0].operation ?? {}).every((k) => k === 'notPorts' || k === 'notPaths')))));
  const attached = (ra: Manifest) => gatewayDenies.some((d) => d.metadata.namespace === ra.metadata.namespace &&
    JSON.stringify(d.spec.targetRefs) === JSON.stringify(ra.spec.targetRefs));
  return ms.filter((m) => m.kind === 'RequestAuthentication')
    .filter((ra) => ra.spec?.targetRefs ? !attached(ra) : (!ra.spec?.selector?.matchLabels ||
      !denies.some((d) => d.metadata.namespace === ra.metadata.namespace && sameLabels(d.spec.selector?.matchLabels, ra.spec.selector.matchLabels))))
    .map((ra) => `${id(ra)} selects workloads that no DENY-without-token policy selects`);
}

/** 2. Every jwtRule has an exact Entra issuer, an https JWKS URI and non-empty audiences. */
export function exactJwtRules(ms: Manifest[]): string[] {
  const out: string[] = [];
  for (const ra of ms.filter((m) => m.kind === 'RequestAuthentication')) {
    const rules = ra.spec?.jwtRules ?? [];
    if (rules.length === 0) out.push(`${id(ra)} has no jwtRules`);
    for (const r of rules) {
      if (!V1_ISSUER.test(r.issuer) && !V2_ISSUER.test(r.issuer)) out.push(`${id(ra)} issuer ${r.issuer} is not an exact Entra issuer`);
      if (typeof r.jwksUri !== 'string' || !r.jwksUri.startsWith('https://')) out.push(`${id(ra)} jwksUri ${r.jwksUri} is not https`);
      if (!Array.isArray(r.audiences) || r.audiences.length === 0 || r.audiences.some((a: string) => !a)) {
        out.push(`${id(ra)} issuer ${r.issuer} has no audiences`);
      }
    }
  }
  return out;
}

/**
 * 3. STRICT mTLS for every workload selected by a RequestAuthentication (the
 * endpoints' workloads; a RequestAuthentication attached to a Gateway by
 * targetRefs validates at the edge, whose clients speak TLS, not mTLS).
 */
export function strictMtls(ms: Manifest[]): string[] {
  const strict = ms.filter((m) => m.kind === 'PeerAuthentication' && m.spec?.mtls?.mode === 'STRICT' && !m.spec.portLevelMtls);
  // a RequestAuthentication attached to a Gateway (targetRefs) guards the edge, whose clients speak TLS, not mesh mTLS
  return ms.filter((m) => m.kind === 'RequestAuthentication' && (m.spec?.targetRefs ?? []).length === 0)
    .filter((ra) => !strict.some((pa) => pa.metadata.namespace === ra.metadata.namespace && sameLabels(pa.spec.selector?.matchLabels, ra.spec.selector?.matchLabels)))
    .map((ra) => `${id(ra)}: its workloads have no STRICT PeerAuthentication`);
}

/**
 * 4. No ALLOW rule matches everyone: no empty rule, no rule without a source,
 * and every source requires a request principal of a declared issuer
 * (`anyAuthenticated` is `requestPrincipals: [<issuer>/*]`, which is allowed)
 * or, on egress gateways where no token is visible, exact mesh principals.
 * Endpoint ALLOW policies always require the token (tested per construct).
 */
export function noOpenAllow(ms: Manifest[]): string[] {
  const out: string[] = [];
  for (const p of ms.filter((m) => m.kind === 'AuthorizationPolicy' && (m.spec?.action ?? 'ALLOW') === 'ALLOW')) {
    const rules = p.spec?.rules;
    // `spec: {}` (no selector, no rules) is the namespace-wide default deny of MeshNamespace: it admits nobody
    const namespaceDefaultDeny = p.spec !== undefined && Object.keys(p.spec).length === 0;
    if (!namespaceDefaultDeny && (!Array.isArray(rules) || rules.length === 0)) out.push(`${id(p)} ALLOW without rules`);
    for (const [i, r] of (rules ?? []).entries()) {
      const sources = (r.from ?? []).map((f: any) => f.source ?? {});
      if (sources.length === 0) out.push(`${id(p)} rule ${i} has no "from": it matches every source`);
      for (const s of sources) {
        const rp: string[] = s.requestPrincipals ?? [];
        const principals: string[] = s.principals ?? [];
        // a source narrows by a token of a declared issuer, or (egress gateways, TLS passthrough) by mesh principals
        const guardsEndpoint = ms.some((ra) => ra.kind === 'RequestAuthentication' && ra.metadata.namespace === p.metadata.namespace &&
          sameLabels(ra.spec?.selector?.matchLabels, p.spec?.selector?.matchLabels));
        // on an endpoint, a principal-only rule is allowed only on ports the DENY-without-token exempts (azureml-fe coordination)
        const denyExempt = (ms.find((d) => d.kind === 'AuthorizationPolicy' && d.spec?.action === 'DENY' && d.metadata.namespace === p.metadata.namespace &&
          sameLabels(d.spec?.selector?.matchLabels, p.spec?.selector?.matchLabels))?.spec?.rules?.[0]?.to?.[0]?.operation?.notPorts ?? []) as string[];
        const ports: string[] = (r.to ?? []).flatMap((t: any) => t.operation?.ports ?? []);
        const onExemptPortsOnly = r.to?.length > 0 && (r.to ?? []).every((t: any) => (t.operation?.ports ?? []).length > 0) && ports.every((x) => denyExempt.includes(x));
        if (rp.some((x) => x === '*' || !/^https:\/\/[^*]+\/\*$/.test(x)) || (rp.length === 0 && (principals.length === 0 || (guardsEndpoint && !onExemptPortsOnly)))) {
          out.push(`${id(p)} rule ${i} does not require a token of a declared issuer or a mesh principal: ${JSON.stringify(s)}`);
        }
        if ((s.principals ?? []).some((x: string) => x.includes('*'))) out.push(`${id(p)} rule ${i} has a wildcard principal`);
      }
      for (const w of r.when ?? []) {
        if ((w.values ?? []).some((x: string) => x.includes('*'))) out.push(`${id(p)} rule ${i} matches ${w.key} with a wildcard`);
      }
    }
  }
  return out;
}

/** 6. No snippet annotations (any annotation key containing "snippet", e.g. F5's nginx.org/server-snippets). */
export function noSnippets(ms: Manifest[]): string[] {
  return ms.flatMap((m) => Object.keys((m.metadata as any).annotations ?? {})
    .filter((k) => k.toLowerCase().includes('snippet') || SNIPPETS.includes(k))
    .map((k) => `${id(m)} has snippet annotation ${k}`));
}

/**
 * 5. NGINX edges terminate TLS for every host, redirect plain HTTP, and route
 * through the Service (ingress-nginx: service-upstream + upstream-vhost; F5:
 * use-cluster-ip on every upstream and a Host header on every route).
 */
export function edgesThroughMesh(ms: Manifest[]): string[] {
  const out: string[] = [];
  for (const ing of ms.filter((m) => m.kind === 'Ingress')) {
    const a = ing.metadata.annotations ?? {};
    const hosts: string[] = (ing.spec.rules ?? []).map((r: any) => r.host);
    const tlsHosts = new Set((ing.spec.tls ?? []).flatMap((t: any) => t.hosts ?? []));
    for (const h of hosts) if (!tlsHosts.has(h)) out.push(`${id(ing)} serves ${h} without TLS`);
    if (a['nginx.ingress.kubernetes.io/force-ssl-redirect'] !== 'true') out.push(`${id(ing)} does not redirect plain HTTP`);
    if (a['nginx.ingress.kubernetes.io/service-upstream'] !== 'true') out.push(`${id(ing)} load-balances to pod IPs (no service-upstream)`);
    if (!/\.svc\.cluster\.local$/.test(a['nginx.ingress.kubernetes.io/upstream-vhost'] ?? '')) out.push(`${id(ing)} has no upstream-vhost naming a Service`);
  }
  for (const vs of ms.filter((m) => m.kind === 'VirtualServer')) {
    if (!vs.spec.tls?.secret) out.push(`${id(vs)} has no TLS secret`);
    if (vs.spec.tls?.redirect?.enable !== true) out.push(`${id(vs)} does not redirect plain HTTP`);
    if (vs.spec.tls?.redirect?.code !== 308) out.push(`${id(vs)} redirects with ${vs.spec.tls?.redirect?.code ?? 'the default 301'}, not 308 (a POST may become a GET)`);
    for (const u of vs.spec.upstreams ?? []) if (u['use-cluster-ip'] !== true) out.push(`${id(vs)} upstream ${u.name} bypasses the Service`);
    for (const r of vs.spec.routes ?? []) {
      const host = r.action?.proxy?.requestHeaders?.set?.find((h: any) => h.name === 'Host')?.value ?? '';
      if (!/\.svc\.cluster\.local$/.test(host)) out.push(`${id(vs)} route ${r.path} does not set Host to a Service`);
    }
  }
  out.push(...gatewayApiEdgesThroughMesh(ms));
  for (const gw of ms.filter((m) => m.kind === 'Gateway' && m.apiVersion.startsWith('networking.istio.io/'))) {
    // plain HTTP only redirects, with 308 (keeps the method): every route bound to a Gateway with an HTTP server is a redirect to https
    if (!(gw.spec.servers ?? []).some((s: any) => s.port.protocol === 'HTTP')) continue;
    if ((gw.spec.servers ?? []).some((s: any) => s.tls?.httpsRedirect)) out.push(`${id(gw)} redirects with httpsRedirect (301, a POST may become a GET)`);
    const names = [`${gw.metadata.namespace}/${gw.metadata.name}`, gw.metadata.name];
    const bound = ms.filter((m) => m.kind === 'VirtualService' && (m.spec.gateways ?? []).some((g: string) => names.includes(g)));
    if (bound.length === 0) out.push(`${id(gw)} serves plain HTTP without redirect`);
    for (const vs of bound) {
      for (const r of vs.spec.http ?? []) {
        if (r.redirect?.scheme !== 'https' || r.redirect?.redirectCode !== 308 || r.route) out.push(`${id(vs)} route ${r.name} on plain HTTP is not a 308 redirect to https`);
      }
    }
  }
  return out;
}

/**
 * 5, restated for Gateway API edges. Every Gateway (`gateway.networking.k8s.io`)
 * terminates TLS on its HTTPS listeners with a certificate and serves plain
 * HTTP only as a permanent redirect to https (308, or 301 where the
 * cluster's Gateway API bundle predates v1.5 and accepts no 308); every HTTPRoute that sends traffic to
 * a backend names the listener it attaches to (`sectionName`: without it a
 * route attaches to every listener of the hostname, plain HTTP included), and
 * a listener of a Gateway in the output it attaches to is HTTPS; its backends
 * are Services or InferencePools in its own namespace (the mesh applies to
 * them); on NGINX Gateway Fabric (which sends to pod IPs) the route rewrites
 * Host to the Service, so the pod's sidecar routes it over mTLS.
 */
export function gatewayApiEdgesThroughMesh(ms: Manifest[]): string[] {
  const out: string[] = [];
  const gateways = ms.filter((m) => m.kind === 'Gateway' && m.apiVersion.startsWith('gateway.networking.k8s.io/'));
  const routes = ms.filter((m) => m.kind === 'HTTPRoute');
  const listenerOf = (route: Manifest, ref: any) => {
    const gw = gateways.find((g) => g.metadata.name === ref.name && g.metadata.namespace === (ref.namespace ?? route.metadata.namespace));
    return { gw, listeners: ((gw?.spec.listeners ?? []) as any[]).filter((l) => ref.sectionName === undefined || l.name === ref.sectionName) };
  };
  const isRedirectOnly = (route: Manifest) => (route.spec.rules ?? []).every((r: any) => !(r.backendRefs ?? []).length &&
    (r.filters ?? []).length === 1 && r.filters[0].type === 'RequestRedirect' && r.filters[0].requestRedirect?.scheme === 'https' && [301, 308].includes(r.filters[0].requestRedirect?.statusCode));
  for (const gw of gateways) {
    for (const l of gw.spec.listeners ?? []) {
      if (l.protocol === 'HTTPS' && (l.tls?.mode ?? 'Terminate') !== 'Terminate') out.push(`${id(gw)} listener ${l.name} does not terminate TLS`);
      if (l.protocol === 'HTTPS' && !(l.tls?.certificateRefs ?? []).some((c: any) => c.name)) out.push(`${id(gw)} listener ${l.name} has no certificate`);
      if (!['HTTPS', 'HTTP'].includes(l.protocol)) out.push(`${id(gw)} listener ${l.name} speaks ${l.protocol}`);
    }
    if (!(gw.spec.listeners ?? []).some((l: any) => l.protocol === 'HTTPS')) out.push(`${id(gw)} has no HTTPS listener`);
  }
  for (const route of routes) {
    const redirectOnly = isRedirectOnly(route);
    for (const ref of route.spec.parentRefs ?? []) {
      if ((ref.kind ?? 'Gateway') !== 'Gateway') continue;
      if (!redirectOnly && ref.sectionName === undefined) out.push(`${id(route)} attaches to every listener of ${ref.name}, plain HTTP included (no sectionName)`);
      const { gw, listeners } = listenerOf(route, ref);
      if (!gw) continue;
      for (const l of listeners) {
        if (!redirectOnly && l.protocol !== 'HTTPS') out.push(`${id(route)} routes to a backend on ${id(gw)}'s plain ${l.protocol} listener ${l.name}`);
      }
      const nginx = gw.spec.gatewayClassName !== 'istio' && !String(gw.spec.gatewayClassName).startsWith('istio');
      if (nginx && !redirectOnly) {
        for (const r of route.spec.rules ?? []) {
          const rewrite = (r.filters ?? []).find((f: any) => f.type === 'URLRewrite')?.urlRewrite?.hostname ?? '';
          if ((r.backendRefs ?? []).length && !/\.svc\.cluster\.local$/.test(rewrite)) out.push(`${id(route)} on ${id(gw)} does not rewrite Host to a Service (NGINX sends to pod IPs)`);
        }
      }
    }
    for (const r of route.spec.rules ?? []) {
      for (const b of r.backendRefs ?? []) {
        const kind = `${b.group ?? ''}/${b.kind ?? 'Service'}`;
        if (!['/Service', 'inference.networking.k8s.io/InferencePool'].includes(kind)) out.push(`${id(route)} sends to a ${kind} backend`);
        if (b.namespace !== undefined && b.namespace !== route.metadata.namespace) out.push(`${id(route)} sends to a backend in another namespace (${b.namespace})`);
      }
    }
  }
  // every Gateway in the output serves plain HTTP only as redirects: each route on an HTTP listener is redirect-only
  for (const gw of gateways) {
    for (const l of (gw.spec.listeners ?? []).filter((x: any) => x.protocol === 'HTTP')) {
      const attached = routes.filter((r) => (r.spec.parentRefs ?? []).some((ref: any) => ref.name === gw.metadata.name &&
        (ref.namespace ?? r.metadata.namespace) === gw.metadata.namespace && (ref.sectionName === undefined || ref.sectionName === l.name)));
      if (attached.length === 0) out.push(`${id(gw)} listener ${l.name} serves plain HTTP without a redirect route`);
      for (const r of attached) if (!isRedirectOnly(r)) out.push(`${id(r)} on plain HTTP listener ${l.name} of ${id(gw)} is not a permanent (308 or 301) redirect to https`);
    }
  }
  return out;
}

/**
 * 9. No keys, tokens or client secrets in any manifest; tokens are read only
 * from named headers (every jwtRule has `fromHeaders`, none has
 * `fromParams`), and a token never leaves a pod in plain HTTP: a
 * MESH_EXTERNAL ServiceEntry with an HTTP port (TLS originated by the
 * sidecar) needs an egress NetworkPolicy in its namespace that refuses
 * TCP 80 leaving the cluster.
 */
export function noSecrets(ms: Manifest[]): string[] {
  const text = JSON.stringify(ms);
  const out: string[] = [];
  if (/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./.test(text)) out.push('a JWT appears in the manifests');
  if (/"(client_?secret|clientSecret|primaryKey|secondaryKey|password)"\s*:/i.test(text)) out.push('a secret-looking field appears in the manifests');
  if (ms.some((m) => m.kind === 'Secret')) out.push('a Secret object is synthesized');
  for (const ra of ms.filter((m) => m.kind === 'RequestAuthentication')) {
    for (const r of ra.spec?.jwtRules ?? []) {
      if (!Array.isArray(r.fromHeaders) || r.fromHeaders.length === 0) out.push(`${id(ra)} issuer ${r.issuer} has no fromHeaders: Envoy also reads ?access_token=`);
      if (r.fromParams?.length) out.push(`${id(ra)} issuer ${r.issuer} reads the token from a query parameter`);
    }
  }
  for (const se of ms.filter((m) => m.kind === 'ServiceEntry' && m.spec?.location === 'MESH_EXTERNAL')) {
    const plain = (se.spec.ports ?? []).some((p: any) => p.protocol === 'HTTP');
    if (!plain) continue;
    const fenced = ms.some((np) => np.kind === 'NetworkPolicy' && np.metadata.namespace === se.metadata.namespace &&
      (np.spec?.policyTypes ?? []).includes('Egress') && !allowsPort80OutOfCluster(np));
    if (!fenced) out.push(`${id(se)} carries scoring traffic over plain HTTP in the pod without an egress NetworkPolicy refusing TCP 80 out of the cluster`);
  }
  return out;
}

/** True when an egress NetworkPolicy admits TCP 80 to an ipBlock (outside the cluster). */
function allowsPort80OutOfCluster(np: Manifest): boolean {
  return (np.spec?.egress ?? []).some((rule: any) => {
    const external = (rule.to ?? []).length === 0 || (rule.to ?? []).some((t: any) => t.ipBlock);
    const ports = rule.ports ?? [];
    const has80 = ports.length === 0 || ports.some((p: any) => (p.protocol ?? 'TCP') === 'TCP' &&
      (p.port === undefined || p.port === 80 || (typeof p.port === 'number' && p.endPort !== undefined && p.port <= 80 && p.endPort >= 80)));
    return external && has80;
  });
}

/**
 * 12. Policies are not the only fence: the namespace of every endpoint's
 * workload is written and enrolled in the mesh (injection label or
 * revision), no pod template the app writes opts out of injection, and a
 * NetworkPolicy selects exactly the endpoint's pods for Ingress and admits
 * only named namespaces (never everyone).
 */
export function secondFence(ms: Manifest[]): string[] {
  const out: string[] = [];
  const namespaces = new Map(ms.filter((m) => m.kind === 'Namespace').map((n) => [n.metadata.name, n]));
  for (const ra of ms.filter((m) => m.kind === 'RequestAuthentication' && m.spec?.selector)) {
    const ns = ra.metadata.namespace;
    const obj = namespaces.get(ns ?? "");
    const labels = obj?.metadata.labels ?? {};
    const enrolled = labels['istio-injection'] === 'enabled' || (labels['istio-injection'] === undefined && labels['istio.io/rev'] !== undefined);
    if (!obj) out.push(`${id(ra)}: namespace ${ns} is not written with its enrolment label`);
    else if (!enrolled) out.push(`${id(ra)}: namespace ${ns} is not enrolled in the mesh (${JSON.stringify(labels)})`);
    const nps = ms.filter((np) => np.kind === 'NetworkPolicy' && np.metadata.namespace === ns &&
      sameLabels(np.spec?.podSelector?.matchLabels, ra.spec.selector.matchLabels) && (np.spec?.policyTypes ?? []).includes('Ingress'));
    if (nps.length === 0) out.push(`${id(ra)}: no NetworkPolicy fences its pods`);
    for (const np of nps) {
      for (const rule of np.spec.ingress ?? []) {
        if ((rule.from ?? []).length === 0) out.push(`${id(np)} admits every source`);
        for (const peer of rule.from ?? []) {
          if (peer.ipBlock || !peer.namespaceSelector || (Object.keys(peer.namespaceSelector.matchLabels ?? {}).length === 0 && (peer.namespaceSelector.matchExpressions ?? []).length === 0)) {
            out.push(`${id(np)} admits a peer beyond named or enrolled namespaces: ${JSON.stringify(peer)}`);
          }
        }
      }
    }
  }
  for (const w of ms.filter((m) => ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'].includes(m.kind))) {
    const t = w.kind === 'CronJob' ? w.spec?.jobTemplate?.spec?.template : w.spec?.template;
    const v = [t?.metadata?.labels?.['sidecar.istio.io/inject'], t?.metadata?.annotations?.['sidecar.istio.io/inject']];
    if (v.some((x) => x !== undefined && x !== 'true')) out.push(`${id(w)} opts its pods out of the mesh`);
  }
  return out;
}

/**
 * 13 (mesh half). Per-proxy config scoped to what the proxy needs: Sidecars
 * never import every namespace (`*\/*`), ServiceEntries stay in their
 * namespace. (The Azure half, roles only where Azure enforces them, is
 * checked over the plan.)
 */
export function scopedProxyConfig(ms: Manifest[]): string[] {
  const out: string[] = [];
  for (const sc of ms.filter((m) => m.kind === 'Sidecar')) {
    for (const e of sc.spec?.egress ?? []) {
      for (const h of e.hosts ?? []) if (h === '*/*' || h === '~/*' || h === '*/' ) out.push(`${id(sc)} egress imports every namespace: ${h}`);
    }
  }
  for (const se of ms.filter((m) => m.kind === 'ServiceEntry')) {
    if ((se.spec?.exportTo ?? ['*']).includes('*')) out.push(`${id(se)} is exported to every namespace`);
  }
  out.push(...scopedRoutes(ms), ...sidecarsImportWhatTheyCall(ms));
  return out;
}

/**
 * 13 (Sidecars), for invariant 9's sake: a namespace-wide Sidecar of
 * namespace N imports (a) every in-cluster host whose VirtualService or
 * DestinationRule is exported to N by name (N's proxies are expected to
 * route there), and (b) something of every other namespace whose ALLOW
 * policies admit a principal of N. What a Sidecar does not import leaves
 * N's proxies as plain TCP, token and all.
 */
export function sidecarsImportWhatTheyCall(ms: Manifest[]): string[] {
  const out: string[] = [];
  for (const sc of ms.filter((m) => m.kind === 'Sidecar' && !m.spec?.workloadSelector)) {
    const n = sc.metadata.namespace ?? 'default';
    const hosts: string[] = (sc.spec.egress ?? []).flatMap((e: any) => e.hosts ?? []);
    const imports = (ns: string, host: string) => hosts.includes(`${ns}/*`) || hosts.includes(`${ns}/${host}`) || (ns === n && hosts.includes('./*'));
    for (const r of ms.filter((m) => (m.kind === 'VirtualService' || m.kind === 'DestinationRule') && (m.metadata.namespace ?? 'default') !== n)) {
      if (!(r.spec?.exportTo ?? []).includes(n)) continue;
      if (r.kind === 'VirtualService' && (r.spec.gateways ?? []).some((g: string) => g !== 'mesh')) continue;
      const routed: string[] = r.kind === 'DestinationRule' ? [r.spec.host] : (r.spec.hosts ?? []);
      for (const h of routed.filter((x) => x.endsWith('.svc.cluster.local'))) {
        if (!imports(r.metadata.namespace ?? 'default', h)) out.push(`${id(sc)} does not import ${r.metadata.namespace}/${h}, whose ${r.kind} is exported to ${n}`);
      }
    }
    for (const ap of ms.filter((m) => m.kind === 'AuthorizationPolicy' && m.spec?.action === 'ALLOW' && (m.metadata.namespace ?? 'default') !== n)) {
      const admits = (ap.spec.rules ?? []).some((r: any) => (r.from ?? []).some((f: any) => (f.source?.principals ?? []).some((p: string) => p.includes(`/ns/${n}/sa/`))));
      if (admits && !hosts.some((h) => h.startsWith(`${ap.metadata.namespace}/`))) {
        out.push(`${id(sc)} imports nothing of ${ap.metadata.namespace}, whose ${id(ap)} admits workloads of ${n}`);
      }
    }
  }
  return out;
}

/**
 * 13 (routes). An in-cluster endpoint's VirtualService and DestinationRule
 * (the ones for its Service host, `<svc>.<ns>.svc.cluster.local`, in the
 * namespace of its ALLOW policy) are exported to every namespace (`*`)
 * only when an ALLOW rule there admits callers from any peer (no
 * `principals`: token-only callers without an edge); otherwise to a list
 * that holds each admitted principal's namespace (the callers and the
 * edge must see the route: its split, timeout and retries) and the own
 * namespace. A mesh VirtualService bound to a gateway is checked the same
 * way against the gateway's namespace.
 */
export function scopedRoutes(ms: Manifest[]): string[] {
  const out: string[] = [];
  // an egress gateway's route (bound to the mesh and to the gateway) and the gateway Service's DestinationRule:
  // read by the callers' sidecars and the gateway, never by every namespace
  for (const vs of ms.filter((m) => m.kind === 'VirtualService' && (m.spec?.gateways ?? []).includes('mesh') && m.spec.gateways.length > 1)) {
    if ((vs.spec.exportTo ?? ['*']).includes('*')) out.push(`${id(vs)} routes through an egress gateway but is exported to every namespace`);
    const via = (vs.spec.tls ?? []).flatMap((t: any) => (t.route ?? []).map((r: any) => r.destination?.host)).filter(Boolean);
    for (const dr of ms.filter((m) => m.kind === 'DestinationRule' && via.includes(m.spec?.host))) {
      if ((dr.spec.exportTo ?? ['*']).includes('*')) out.push(`${id(dr)} (an egress gateway's Service) is exported to every namespace`);
    }
  }
  // the ALLOW policies of the host's pods: those selecting the Service's pods when the Service is among the
  // objects, else those of the namespace (undecided when several endpoints share it: `exact` false)
  const allowRules = (ns: string, host: string) => {
    const inNs = ms.filter((m) => m.kind === 'AuthorizationPolicy' && m.spec?.action === 'ALLOW' && m.metadata.namespace === ns);
    const service = ms.find((m) => m.kind === 'Service' && (m.metadata.namespace ?? 'default') === ns && host.startsWith(`${m.metadata.name}.${ns}.`));
    const selector: Record<string, string> | undefined = service?.spec?.selector;
    const mine = selector
      ? inNs.filter((m) => Object.entries(m.spec.selector?.matchLabels ?? {}).every(([k, v]) => selector[k] === v))
      : inNs;
    return { rules: mine.flatMap((m) => m.spec.rules ?? []), exact: selector !== undefined || inNs.length === 1 };
  };
  for (const r of ms.filter((m) => (m.kind === 'VirtualService' || m.kind === 'DestinationRule') && m.apiVersion.startsWith('networking.istio.io/'))) {
    const ns = r.metadata.namespace ?? 'default';
    // a VirtualService is the endpoint's by its hosts, or (bound to a gateway, for a public host) by where it routes
    const destinations = (r.spec.http ?? []).flatMap((h: any) => (h.route ?? []).map((d: any) => d.destination?.host)).filter(Boolean);
    const hosts: string[] = r.kind === 'DestinationRule' ? [r.spec.host] : [...(r.spec.hosts ?? []), ...destinations];
    if (!hosts.some((h) => h.endsWith(`.${ns}.svc.cluster.local`))) continue;
    const { rules, exact } = allowRules(ns, hosts.find((h) => h.endsWith(`.${ns}.svc.cluster.local`))!);
    if (rules.length === 0) continue;
    const exportTo: string[] = r.spec.exportTo ?? ['*'];
    const gateways: string[] = r.kind === 'VirtualService' ? (r.spec.gateways ?? []).filter((g: string) => g !== 'mesh') : [];
    if (gateways.length) {
      for (const g of gateways) {
        const gwNs = g.includes('/') ? g.split('/')[0] : ns;
        if (exportTo.includes('*')) out.push(`${id(r)} is bound to ${g} but exported to every namespace`);
        else if (gwNs !== ns && !exportTo.includes(gwNs)) out.push(`${id(r)} is bound to ${g} but not exported to ${gwNs}`);
      }
      continue;
    }
    const sources = rules.flatMap((rule: any) => (rule.from ?? [{}]).map((f: any) => f.source ?? {}));
    const fromAnyPeer = sources.some((src: any) => !src.principals?.length && !src.namespaces?.length);
    if (exportTo.includes('*')) {
      if (!fromAnyPeer) out.push(`${id(r)} is exported to every namespace, but its endpoint admits only named peers`);
      continue;
    }
    if (!exportTo.includes('.') && !exportTo.includes(ns)) out.push(`${id(r)} is not exported to its own namespace`);
    // a list despite callers from any peer: the declaration narrowed it (SecureMlEndpointProps.exportTo)
    const peerNamespaces = new Set(sources.flatMap((src: any) => [
      ...(src.principals ?? []).map((p: string) => /\/ns\/([^/]+)\/sa\//.exec(p)?.[1]).filter(Boolean),
      ...(src.namespaces ?? []),
    ]) as string[]);
    if (!exact) continue;
    for (const peer of peerNamespaces) {
      if (peer !== ns && !exportTo.includes(peer)) out.push(`${id(r)} is not exported to ${peer}, whose workloads the endpoint admits`);
    }
  }
  return out;
}

/** 11 (part): Istio webhook rules the CRD schema does not hold — no empty strings in policy lists. */
export function noEmptyPolicyStrings(ms: Manifest[]): string[] {
  const out: string[] = [];
  const walk = (m: Manifest, v: unknown, path: string) => {
    if (Array.isArray(v)) v.forEach((x, i) => (x === '' ? out.push(`${id(m)} ${path}[${i}] is empty`) : walk(m, x, `${path}[${i}]`)));
    else if (v && typeof v === 'object') Object.entries(v).forEach(([k, x]) => walk(m, x, `${path}.${k}`));
  };
  ms.filter((m) => m.apiVersion.startsWith('security.istio.io/')).forEach((m) => walk(m, m.spec, 'spec'));
  return out;
}

const SCORING_HOST = /^[a-z0-9-]+\.[a-z0-9]+\.inference\.ml\.azure\.(com|us|cn)$/;
const LOGIN_HOST = /^login\.(microsoftonline\.com|microsoftonline\.us|partner\.microsoftonline\.cn)$/;
/** AKS cluster OIDC issuer hosts: Entra fetches them, pods never call them. */
const OIDC_ISSUER_HOST = /(^|\.)oic\.prod-aks\.azure\.(com|us|cn)$/;

/**
 * 8. Egress: ServiceEntry hosts are exact FQDNs (never `*`) visible only in
 * their namespace; every Sidecar under egress control (REGISTRY_ONLY, or a
 * namespace with the identity host's ServiceEntry) restricts egress to the registry, no Sidecar sets `ALLOW_ANY`
 * or names a `*` namespace, and in a namespace that reaches Azure ML scoring hosts lists
 * the Entra login host and each scoring host in use. Issue 11 (which wins
 * over DESIGN.md's text) takes the cluster OIDC issuer out: no Sidecar or
 * ServiceEntry names it (Entra, not the pod, fetches its keys).
 */
export function exactEgress(ms: Manifest[]): string[] {
  const out: string[] = [];
  for (const se of ms.filter((m) => m.kind === 'ServiceEntry')) {
    for (const h of se.spec.hosts ?? []) {
      if (h.includes('*') || !h.includes('.')) out.push(`${id(se)} host ${h} is not an exact FQDN`);
      if (OIDC_ISSUER_HOST.test(h)) out.push(`${id(se)} opens egress to the cluster OIDC issuer ${h}, which pods never call`);
    }
    if (JSON.stringify(se.spec.exportTo) !== '["."]') out.push(`${id(se)} is exported beyond its namespace`);
  }
  for (const sc of ms.filter((m) => m.kind === 'Sidecar')) {
    const hosts: string[] = (sc.spec.egress ?? []).flatMap((e: any) => e.hosts ?? []);
    for (const h of hosts) {
      const [ns, name] = h.split('/');
      if (ns === '*' || ns === '~' || name === undefined) out.push(`${id(sc)} egress host ${h} does not name one namespace`);
      if (name && OIDC_ISSUER_HOST.test(name)) out.push(`${id(sc)} lists the cluster OIDC issuer ${h}, which pods never call`);
    }
    const local = ms.filter((m) => m.kind === 'ServiceEntry' && m.metadata.namespace === sc.metadata.namespace)
      .flatMap((m) => (m.spec.hosts ?? []) as string[]);
    // egress control is on where the Sidecar refuses unknown hosts, or the namespace has the identity host's
    // ServiceEntry (only egress control writes it): then it must refuse the rest. A Sidecar that only scopes a
    // callers' namespace's config (CallerSidecar) leaves the mesh's default, but never says ALLOW_ANY itself
    const mode = sc.spec.outboundTrafficPolicy?.mode;
    const egressControl = mode === 'REGISTRY_ONLY' || local.some((h) => LOGIN_HOST.test(h));
    if (egressControl ? mode !== 'REGISTRY_ONLY' : mode === 'ALLOW_ANY') out.push(`${id(sc)} lets unknown egress through`);
    if (!egressControl) continue;
    // a host is reachable when listed, or when "./*" imports the namespace's own ServiceEntry for it
    const reaches = (h: string) => hosts.includes(`./${h}`) || (hosts.includes('./*') && local.includes(h));
    const scoring = local.filter((h) => SCORING_HOST.test(h));
    if (scoring.length === 0) continue;
    if (![...local, ...hosts.map((h) => h.replace(/^\.\//, ''))].some((h) => LOGIN_HOST.test(h) && reaches(h))) {
      out.push(`${id(sc)} does not reach the Entra login host (no token exchange)`);
    }
    for (const h of scoring) if (!reaches(h)) out.push(`${id(sc)} does not reach the scoring host ${h} in use`);
  }
  return out;
}

/**
 * Not an invariant of section 4 but a setting that breaks real clusters:
 * outlier detection never ejects a model pod on application 5xx (Istio keeps
 * Envoy's consecutive_5xx of 5 unless `consecutive5xxErrors` is 0).
 */
export function noEjectionOn5xx(ms: Manifest[]): string[] {
  const out: string[] = [];
  for (const dr of ms.filter((m) => m.kind === 'DestinationRule')) {
    const policies = [dr.spec?.trafficPolicy, ...(dr.spec?.subsets ?? []).map((s: any) => s.trafficPolicy)];
    for (const p of policies) {
      const od = p?.outlierDetection;
      if (od && od.consecutive5xxErrors !== 0) out.push(`${id(dr)} ejects hosts on application 5xx (consecutive5xxErrors ${od.consecutive5xxErrors ?? 'unset: 5'})`);
    }
  }
  return out;
}

/** All checks that apply to any synthesized app. */
export const INVARIANTS: Record<string, (ms: Manifest[]) => string[]> = {
  '1 token required': tokenRequired,
  '2 exact jwt rules': exactJwtRules,
  '3 strict mtls': strictMtls,
  '4 no open allow': noOpenAllow,
  '5 edges through the mesh': edgesThroughMesh,
  '6 no snippets': noSnippets,
  '8 exact egress': exactEgress,
  '9 no secrets': noSecrets,
  '11 no empty policy strings': noEmptyPolicyStrings,
  '12 second fence': secondFence,
  '13 scoped proxy config': scopedProxyConfig,
  'outlier detection ignores 5xx': noEjectionOn5xx,
};

/**
 * Every violation of every invariant, prefixed with the invariant's name.
 * `except` leaves out checks a unit test does not set up for (e.g. a single
 * endpoint without its Namespace: invariant 12 is checked on whole apps).
 */
export function checkInvariants(ms: Manifest[], options: { except?: string[] } = {}): string[] {
  return Object.entries(INVARIANTS)
    .filter(([name]) => !(options.except ?? []).includes(name))
    .flatMap(([name, check]) => check(ms).map((v) => `${name}: ${v}`));
}

const UUID_V5 = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ROLE_DEFINITION_ID = /^\/subscriptions\/[0-9a-f-]{36}\/providers\/Microsoft\.Authorization\/roleDefinitions\/[0-9a-f-]{36}$/;

/**
 * 7. Role assignments of the plan: a UUID v5 name, a full role definition id,
 * an explicit principalType, and a scope no wider than `allowedScopes`
 * (the scopes the declaration named; by default, any resource-level scope
 * but never a whole subscription or resource group).
 */
export function narrowRoleAssignments(plan: AzurePlanDocument, allowedScopes?: (scope: string) => boolean): string[] {
  const out: string[] = [];
  const resourceLevel = (scope: string) => scope.split('/').length > 5;
  for (const ra of plan.roleAssignments) {
    if (!UUID_V5.test(ra.name)) out.push(`assignment ${ra.name} is not named by a UUID v5`);
    if (!ROLE_DEFINITION_ID.test(ra.roleDefinitionId)) out.push(`assignment ${ra.name} has no full role definition id: ${ra.roleDefinitionId}`);
    if (!['ServicePrincipal', 'User', 'Group'].includes(ra.principalType)) out.push(`assignment ${ra.name} has no principalType`);
    if (!(allowedScopes ?? resourceLevel)(ra.scope)) out.push(`assignment ${ra.name} is scoped wider than declared: ${ra.scope}`);
    if (ra.principalId === undefined && ra.principalRef === undefined) out.push(`assignment ${ra.name} names no principal`);
  }
  return out;
}

const SCORE_ACTION = 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints/score/action';
const KEY_VAULT_SECRETS_USER = '4633458b-17de-408a-b874-0445c86b69e6';
const ONLINE_ENDPOINT_SCOPE = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.MachineLearningServices\/workspaces\/[^/]+\/onlineEndpoints\/([^/]+)$/i;
const KEY_VAULT_SCOPE = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.KeyVault\/vaults\/[^/]+(\/secrets\/[^/]+)?$/i;
const WIDE_SCOPE = /^\/subscriptions\/[^/]+(\/resourceGroups\/[^/]+)?$|\/providers\/Microsoft\.MachineLearningServices\/workspaces\/[^/]+$/i;

/** Options of {@link checkLeastPrivilege}. */
export interface LeastPrivilegeOptions {
  /**
   * Scopes the declaration named itself (`binding.grantRole(role, scope)`):
   * accepted as they are, even when wide.
   *
   * @default - none; any resource-level scope outside Azure ML is accepted
   */
  readonly declaredScopes?: string[];
  /**
   * Report Key Vault roles assigned at the whole vault rather than at one
   * secret (`.../vaults/<vault>/secrets/<name>`). TODO: turn on by default
   * once the Key Vault Secrets User grants move to the secret scope.
   *
   * @default false - vault and secret scopes are both accepted
   */
  readonly keyVaultSecretScopeOnly?: boolean;
}

/**
 * 13 (the Azure half). An Azure role is assigned only where Azure enforces
 * it, and no wider than needed:
 * - at an Azure ML online endpoint, only for an endpoint that the manifests
 *   reach as a managed online endpoint (a ServiceEntry for
 *   `<endpoint>.<region>.inference.ml.azure.*`; Azure checks no role when an
 *   in-cluster endpoint scores), and only a role whose one action is score;
 * - Key Vault Secrets User only at a vault or one of its secrets (the whole
 *   vault reported with `keyVaultSecretScopeOnly`);
 * - never at a subscription, resource group or workspace unless declared;
 * - every `meshOnlyGrants` entry has no role assignment requested by its endpoint.
 */
export function checkLeastPrivilege(plan: AzurePlanDocument, ms: Manifest[], options: LeastPrivilegeOptions = {}): string[] {
  const out: string[] = [];
  const declared = new Set((options.declaredScopes ?? []).map((s) => s.toLowerCase()));
  const managedEndpoints = new Set(ms.filter((m) => m.kind === 'ServiceEntry').flatMap((m) => (m.spec.hosts ?? []) as string[])
    .filter((h) => SCORING_HOST.test(h)).map((h) => h.split('.')[0]));
  const scoreOnly = new Set(plan.roleDefinitions.filter((d) => d.actions.length === 1 && d.actions[0] === SCORE_ACTION).map((d) => d.id.toLowerCase()));
  for (const ra of plan.roleAssignments) {
    const at = `assignment ${ra.name} (${ra.roleName} at ${ra.scope})`;
    const isDeclared = declared.has(ra.scope.toLowerCase());
    const endpoint = ONLINE_ENDPOINT_SCOPE.exec(ra.scope)?.[1];
    if (endpoint !== undefined) {
      if (!managedEndpoints.has(endpoint.toLowerCase())) out.push(`${at}: no managed online endpoint "${endpoint}" is reached by the manifests; Azure enforces no role for in-cluster scoring`);
      if (!scoreOnly.has(ra.roleDefinitionId.toLowerCase())) out.push(`${at}: the role at an online endpoint must allow only ${SCORE_ACTION}`);
      continue;
    }
    if (ra.roleDefinitionId.toLowerCase().endsWith(`/${KEY_VAULT_SECRETS_USER}`)) {
      const vault = KEY_VAULT_SCOPE.exec(ra.scope);
      if (!vault) out.push(`${at}: Key Vault Secrets User outside a Key Vault`);
      else if (options.keyVaultSecretScopeOnly && !vault[1]) out.push(`${at}: Key Vault access must be scoped to the secret, not the whole vault`);
      continue;
    }
    if (WIDE_SCOPE.test(ra.scope) && !isDeclared) out.push(`${at}: a subscription, resource group or workspace scope the declaration did not name`);
    else if (options.declaredScopes && !isDeclared) out.push(`${at}: a scope the declaration did not name`);
  }
  for (const g of plan.meshOnlyGrants ?? []) {
    const principal = g.principalId ?? g.principalRef;
    const backed = plan.roleAssignments.find((ra) => ra.requestedBy.includes(g.endpoint) && (ra.principalId ?? ra.principalRef) === principal);
    if (backed) out.push(`mesh-only grant of ${g.caller} on ${g.endpoint} also has role assignment ${backed.name} at ${backed.scope}`);
  }
  return out;
}

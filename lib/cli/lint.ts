/**
 * `lint`: checks any Kubernetes manifests (ours, hand-written, a kustomize
 * build, a Kubeflow or KServe install) against the invariants of DESIGN.md
 * section 4 that can be read from foreign YAML.
 *
 * The attachment rules follow Istio's reference docs:
 * - a policy without `selector` and `targetRefs` applies to every workload of
 *   its namespace, and to the whole mesh in the root namespace;
 * - a `selector` selects pods of the policy's namespace (of every namespace in
 *   the root namespace);
 * - `targetRefs` attach to a Gateway (its pods), a Service (the pods it
 *   selects, or its waypoint) or, in the root namespace, a GatewayClass;
 * - DENY is evaluated before ALLOW and any matching DENY denies; ALLOW
 *   policies that apply to one workload are ORed.
 *
 * @see https://istio.io/latest/docs/reference/config/security/authorization-policy/
 * @see https://istio.io/latest/docs/reference/config/security/peer_authentication/
 */
import { DEFAULT_ROOT_NAMESPACES, ManifestEntry, ManifestSet, PodTemplateInfo, apiGroup, matchesLabels, namespaceOf, objectRef } from '../access/manifests';
import { locateField } from './lint-locate';

/** How bad a finding is. Both make `lint` exit 1. */
export type LintLevel = 'error' | 'warning';

/** One broken invariant in one object. */
export interface LintFinding {
  /** The rule, e.g. `jwt-rule-without-audiences` (see {@link LINT_RULES}). */
  readonly ruleId: string;
  readonly level: LintLevel;
  /** What is wrong, the value received and what would be accepted (lowercase start, no trailing period). */
  readonly message: string;
  /** `<Kind> <namespace>/<name>` (`<Kind> <name>` for cluster-scoped kinds). */
  readonly object: string;
  /** A path into the object, e.g. `spec.jwtRules[0].audiences`. */
  readonly field: string;
  /** The file the object was read from, as given (`<memory>` for objects passed in). */
  readonly file: string;
  /** The 1-based line of the field (of its nearest present parent when it is missing; of the document otherwise). */
  readonly line: number;
}

/** A rule of {@link LINT_RULES}. */
export interface LintRule {
  /** Stable kebab-case id. */
  readonly id: string;
  readonly level: LintLevel;
  /** One line: what it checks. */
  readonly description: string;
  /** How to fix a finding. */
  readonly help: string;
  /** The DESIGN.md section 4 invariant it comes from, e.g. `4.1`. */
  readonly invariant: string;
}


/** Options of {@link lint}. */
export interface LintOptions {
  /**
   * The mesh's root namespaces (`meshConfig.rootNamespace`): policies there
   * without a selector apply to the whole mesh, with a selector to matching
   * pods of every namespace.
   *
   * @default DEFAULT_ROOT_NAMESPACES - `istio-system` (upstream Istio) and `aks-istio-system` (the AKS Istio add-on)
   */
  readonly rootNamespaces?: readonly string[];
  /**
   * Rule ids not to run.
   *
   * @default - every rule runs
   */
  readonly disable?: readonly string[];
}

/** Every rule, in the order of the docs. */
export const LINT_RULES: readonly LintRule[] = [
  {
    id: 'request-authentication-without-deny',
    level: 'error',
    invariant: '4.1',
    description: 'a RequestAuthentication whose workloads no DENY policy protects against requests without a token',
    help: 'a RequestAuthentication only rejects invalid tokens; a request with no token passes it. Add a DENY AuthorizationPolicy that applies to the same workloads (same selector or targetRefs) with rules: [{from: [{source: {notRequestPrincipals: ["*"]}}]}]',
  },
  {
    id: 'jwt-rule-without-audiences',
    level: 'error',
    invariant: '4.2',
    description: 'a jwtRule without audiences accepts a token of the issuer meant for any application',
    help: 'set audiences to the API\'s application (client) ID and/or its Application ID URI (api://...)',
  },
  {
    id: 'jwt-issuer-not-entra',
    level: 'error',
    invariant: '4.2',
    description: 'a jwtRule issuer that is not an exact Microsoft Entra issuer for one tenant GUID',
    help: 'use https://login.microsoftonline.com/<tenant GUID>/v2.0 (v2 tokens) or https://sts.windows.net/<tenant GUID>/ (v1 tokens); US Government: login.microsoftonline.us (v2), sts.windows.net (v1); China: login.partner.microsoftonline.cn (v2), sts.chinacloudapi.cn (v1)',
  },
  {
    id: 'jwks-uri-not-https',
    level: 'error',
    invariant: '4.2',
    description: 'a JWKS URI (Istio jwtRules[].jwksUri, F5 NGINX Policy jwt.jwksURI) that is not https',
    help: 'fetch signing keys over https only, e.g. https://login.microsoftonline.com/<tenant GUID>/discovery/v2.0/keys',
  },
  {
    id: 'allow-matches-everyone',
    level: 'error',
    invariant: '4.4',
    description: 'an ALLOW rule that matches every caller: `{}`, no `from` and no `when`, or a `from` with an empty source',
    help: 'name the callers in `from` (principals, requestPrincipals) and/or `when` (token claims); an empty ALLOW rule admits anyone, including requests without a token when no DENY stops them',
  },
  {
    id: 'allow-widens-endpoint',
    level: 'error',
    invariant: '4.4',
    description: 'a namespace-wide or mesh-wide ALLOW policy that also applies to workloads a narrower ALLOW policy protects, adding callers to it',
    help: 'Istio ORs every ALLOW policy that applies to a workload: give the broad policy a selector that excludes the endpoint\'s pods, or move the endpoint to its own namespace',
  },
  {
    id: 'workload-not-in-mesh',
    level: 'error',
    invariant: '4.12',
    description: 'a workload selected by Istio security policies that is not enrolled in the mesh (namespace not labelled for injection or ambient, or the pod opts out), so every policy is skipped',
    help: 'label the namespace istio-injection: enabled (or istio.io/rev: <revision>, or istio.io/dataplane-mode: ambient) and remove sidecar.istio.io/inject: "false" from the pod template',
  },
  {
    id: 'mtls-not-strict',
    level: 'error',
    invariant: '4.3',
    description: 'a workload serving a protected endpoint whose effective PeerAuthentication (workload > namespace > root) is not STRICT, on any port',
    help: 'add a PeerAuthentication with mtls.mode: STRICT for the workload (same selector) or its namespace, and no portLevelMtls entry other than STRICT',
  },
  {
    id: 'nginx-snippet',
    level: 'error',
    invariant: '4.6',
    description: 'an NGINX configuration snippet: ingress-nginx and F5 NGINX snippet annotations, VirtualServer/VirtualServerRoute/Policy snippet fields, NGINX Gateway Fabric SnippetsFilter',
    help: 'express the setting with the controller\'s typed annotations or fields; snippets inject raw NGINX configuration and were the door for CVE-2025-1974',
  },
  {
    id: 'service-entry-host-not-exact',
    level: 'error',
    invariant: '4.8',
    description: 'a ServiceEntry host that is a wildcard or not an exact fully qualified domain name',
    help: 'list each external host by its exact name (e.g. myendpoint.westeurope.inference.ml.azure.com)',
  },
  {
    id: 'service-entry-export-wide',
    level: 'warning',
    invariant: '4.8, 4.13',
    description: 'a ServiceEntry exported wider than its own namespace (exportTo unset, "*" or other namespaces)',
    help: 'set exportTo: ["."] so only the namespace that declares the egress sees the entry',
  },
  {
    id: 'token-from-query',
    level: 'error',
    invariant: '4.9',
    description: 'tokens accepted from a query parameter (Istio jwtRules[].fromParams, F5 NGINX Policy jwt.token $arg_...)',
    help: 'read tokens from the Authorization header only: query strings end up in access logs, proxies and browser history',
  },
];

const RULE_IDS = new Set(LINT_RULES.map((r) => r.id));

/** The rule of `id`, or undefined. */
export function lintRule(id: string): LintRule | undefined {
  return LINT_RULES.find((r) => r.id === id);
}

/** A field path: keys and list indexes. */
export type FieldPath = ReadonlyArray<string | number>;

/** `['spec', 'jwtRules', 0, 'audiences']` → `spec.jwtRules[0].audiences`; keys with dots or slashes are quoted. */
export function formatFieldPath(p: FieldPath): string {
  let out = '';
  for (const k of p) {
    if (typeof k === 'number') out += `[${k}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(k)) out += out ? `.${k}` : k;
    else out += `[${JSON.stringify(k)}]`;
  }
  return out;
}

/**
 * Checks `manifests` against every rule not disabled. Returns the findings
 * sorted by file, line, rule, object and field (deterministic for the same
 * input). Throws for an unknown rule id in `options.disable`.
 */
export function lint(manifests: ManifestSet, options: LintOptions = {}): LintFinding[] {
  for (const id of options.disable ?? []) {
    if (!RULE_IDS.has(id)) {
      throw new Error(`lint: unknown rule "${id}" in disable; expected one of ${[...RULE_IDS].join(', ')}`);
    }
  }
  const ctx = new Context(manifests, options.rootNamespaces ?? DEFAULT_ROOT_NAMESPACES);
  const disabled = new Set(options.disable ?? []);
  const raw: RawFinding[] = [];
  const report: Report = (ruleId, entry, field, message) => {
    if (!disabled.has(ruleId)) raw.push({ ruleId, entry, field, message });
  };
  checkRequestAuthentications(ctx, report);
  checkAllowRules(ctx, report);
  checkWideAllows(ctx, report);
  checkEnrolment(ctx, report);
  checkMtls(ctx, report);
  checkSnippets(ctx, report);
  checkServiceEntries(ctx, report);
  checkF5Policies(ctx, report);

  const seen = new Set<string>();
  const out: LintFinding[] = [];
  for (const f of raw) {
    const finding: LintFinding = {
      ruleId: f.ruleId,
      level: lintRule(f.ruleId)!.level,
      message: f.message,
      object: objectRef(f.entry.object),
      field: formatFieldPath(f.field),
      file: f.entry.source.file,
      line: locateField(f.entry, f.field),
    };
    const key = JSON.stringify(finding);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(finding);
  }
  return out.sort(compareFindings);
}

function compareFindings(a: LintFinding, b: LintFinding): number {
  return cmp(a.file, b.file) || a.line - b.line || cmp(a.ruleId, b.ruleId) || cmp(a.object, b.object)
    || cmp(a.field, b.field) || cmp(a.message, b.message);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

interface RawFinding {
  readonly ruleId: string;
  readonly entry: ManifestEntry;
  readonly field: FieldPath;
  readonly message: string;
}

type Report = (ruleId: string, entry: ManifestEntry, field: FieldPath, message: string) => void;

// ---------------------------------------------------------------------------
// Targets and attachment

/** What a policy can apply to: a workload read from the set, a Gateway, a Service, or pods known only by a selector. */
interface Target {
  readonly key: string;
  readonly namespace: string;
  /** Pod labels (a Gateway's pods carry `gateway.networking.k8s.io/gateway-name`; a Service's are its selector). */
  readonly labels: Record<string, string>;
  /** How messages name it. */
  readonly describe: string;
  readonly workload?: PodTemplateInfo;
  readonly gateway?: string;
  readonly service?: string;
  /** True for a gateway's pods (Gateway targets and gateway Deployments): no sidecar, no PeerAuthentication. */
  readonly isGateway: boolean;
  /** Pods not in the set, known only by the selector that names them. */
  readonly synthetic: boolean;
}

type Attachment =
  | { readonly kind: 'targetRefs'; readonly namespace: string; readonly refs: ReadonlyArray<{ kind: string; name: string; group?: string }> }
  | { readonly kind: 'selector'; readonly namespace: string; readonly selector: Record<string, string>; readonly root: boolean }
  | { readonly kind: 'namespace'; readonly namespace: string }
  | { readonly kind: 'mesh'; readonly namespace: string };

const GATEWAY_NAME_LABEL = 'gateway.networking.k8s.io/gateway-name';

class Context {
  public readonly workloads: PodTemplateInfo[];
  private readonly roots: Set<string>;

  constructor(public readonly set: ManifestSet, rootNamespaces: readonly string[]) {
    this.roots = new Set(rootNamespaces);
    this.workloads = set.podTemplates().filter((w) => !isOwnedPod(w));
  }

  public isRoot(ns: string): boolean {
    return this.roots.has(ns);
  }

  public istio(kind: string): ManifestEntry[] {
    return this.set.ofKind(kind, 'security.istio.io');
  }

  public attachment(entry: ManifestEntry): Attachment {
    const spec = entry.object.spec ?? {};
    const namespace = namespaceOf(entry.object);
    const refs = Array.isArray(spec.targetRefs) && spec.targetRefs.length > 0
      ? spec.targetRefs : spec.targetRef ? [spec.targetRef] : undefined;
    if (refs) {
      return { kind: 'targetRefs', namespace, refs: refs.map((r: any) => ({ kind: String(r?.kind ?? ''), name: String(r?.name ?? ''), group: r?.group })) };
    }
    const selector = spec.selector?.matchLabels;
    if (selector && typeof selector === 'object' && Object.keys(selector).length > 0) {
      return { kind: 'selector', namespace, selector, root: this.isRoot(namespace) };
    }
    return this.isRoot(namespace) ? { kind: 'mesh', namespace } : { kind: 'namespace', namespace };
  }

  /** True when a policy attached by `att` applies to `t` (Istio's attachment rules). */
  public applies(att: Attachment, t: Target): boolean {
    switch (att.kind) {
      case 'mesh':
        return true;
      case 'namespace':
        return t.namespace === att.namespace;
      case 'selector':
        if (!att.root && t.namespace !== att.namespace) return false;
        if (t.service !== undefined && !this.serviceSelector(t.namespace, t.service)) return false;
        return matchesLabels(att.selector, t.labels);
      case 'targetRefs':
        return att.refs.some((r) => {
          if (r.kind === 'Gateway') return t.gateway === r.name && t.namespace === att.namespace;
          if (r.kind === 'Service') {
            if (t.namespace !== att.namespace) return false;
            if (t.service === r.name) return true;
            const sel = this.serviceSelector(att.namespace, r.name);
            return t.workload !== undefined && sel !== undefined && Object.keys(sel).length > 0 && matchesLabels(sel, t.labels);
          }
          if (r.kind === 'GatewayClass') {
            return this.isRoot(att.namespace) && t.gateway !== undefined && this.gatewayClassOf(t.namespace, t.gateway) === r.name;
          }
          return false;
        });
    }
  }

  /** What a policy applies to among the set's workloads; pods known only by the selector when none is in the set. */
  public targets(entry: ManifestEntry, att: Attachment = this.attachment(entry)): Target[] {
    if (att.kind === 'targetRefs') {
      const out: Target[] = [];
      for (const r of att.refs) {
        if (r.kind === 'Gateway') out.push(gatewayTarget(att.namespace, r.name));
        else if (r.kind === 'Service') {
          const sel = this.serviceSelector(att.namespace, r.name);
          out.push({
            key: `Service ${att.namespace}/${r.name}`, namespace: att.namespace, labels: sel ?? {},
            describe: `Service ${att.namespace}/${r.name}`, service: r.name, isGateway: false, synthetic: false,
          });
          if (sel && Object.keys(sel).length > 0) {
            out.push(...this.workloadTargets().filter((w) => w.namespace === att.namespace && matchesLabels(sel, w.labels)));
          }
        } else if (r.kind === 'GatewayClass') {
          for (const g of this.set.ofKind('Gateway', 'gateway.networking.k8s.io')) {
            if (g.object.spec?.gatewayClassName === r.name) out.push(gatewayTarget(namespaceOf(g.object), g.object.metadata.name ?? ''));
          }
        }
      }
      return dedupe(out);
    }
    const found = this.workloadTargets().filter((t) => this.applies(att, t));
    if (found.length > 0) return found;
    const labels = att.kind === 'selector' ? { ...att.selector } : {};
    return [{
      key: `pods ${att.namespace} ${JSON.stringify(labels)}`,
      namespace: att.namespace,
      labels,
      describe: att.kind === 'selector' ? `pods labelled ${formatLabels(labels)} in ${att.namespace}` : `every pod of ${att.namespace}`,
      isGateway: false,
      synthetic: true,
    }];
  }

  public workloadTargets(): Target[] {
    return this.workloads.map((w) => ({
      key: `${w.kind} ${w.namespace}/${w.name}`,
      namespace: w.namespace,
      labels: w.labels,
      describe: `${w.kind} ${w.namespace}/${w.name}`,
      workload: w,
      isGateway: isGatewayWorkload(w),
      synthetic: false,
    }));
  }

  private serviceSelector(ns: string, name: string): Record<string, string> | undefined {
    const svc = this.set.ofKind('Service', '').find((e) => namespaceOf(e.object) === ns && e.object.metadata.name === name);
    return svc?.object.spec?.selector;
  }

  private gatewayClassOf(ns: string, name: string): string | undefined {
    const g = this.set.ofKind('Gateway', 'gateway.networking.k8s.io').find((e) => namespaceOf(e.object) === ns && e.object.metadata.name === name);
    return g?.object.spec?.gatewayClassName;
  }
}

function gatewayTarget(namespace: string, name: string): Target {
  return {
    key: `Gateway ${namespace}/${name}`, namespace, labels: { [GATEWAY_NAME_LABEL]: name },
    describe: `Gateway ${namespace}/${name}`, gateway: name, isGateway: true, synthetic: false,
  };
}

function dedupe(targets: Target[]): Target[] {
  const seen = new Set<string>();
  return targets.filter((t) => (seen.has(t.key) ? false : (seen.add(t.key), true)));
}

/** A Pod that a controller in the set created is read through its controller, not twice. */
function isOwnedPod(w: PodTemplateInfo): boolean {
  return w.kind === 'Pod' && Array.isArray((w.entry.object.metadata as any).ownerReferences) && (w.entry.object.metadata as any).ownerReferences.length > 0;
}

/** Gateway pods: Istio's gateway injection template, Gateway API deployments, the classic ingress/egress gateways. */
function isGatewayWorkload(w: PodTemplateInfo): boolean {
  const templates = w.annotations['inject.istio.io/templates'] ?? '';
  return templates.split(',').map((s) => s.trim()).includes('gateway')
    || w.labels[GATEWAY_NAME_LABEL] !== undefined
    || ['ingressgateway', 'egressgateway'].includes(w.labels.istio ?? '')
    || w.labels['gateway.istio.io/managed'] !== undefined;
}

function formatLabels(labels: Record<string, string>): string {
  const parts = Object.entries(labels).sort(([a], [b]) => cmp(a, b)).map(([k, v]) => `${k}=${v}`);
  return parts.length > 0 ? parts.join(',') : '(any)';
}

function list(items: readonly string[], max = 5): string {
  const sorted = [...new Set(items)].sort();
  return sorted.length <= max ? sorted.join(', ') : `${sorted.slice(0, max).join(', ')} and ${sorted.length - max} more`;
}

function attachmentField(att: Attachment): FieldPath {
  return att.kind === 'targetRefs' ? ['spec', 'targetRefs'] : att.kind === 'selector' ? ['spec', 'selector', 'matchLabels'] : ['spec'];
}

function isAllow(entry: ManifestEntry): boolean {
  const action = entry.object.spec?.action;
  return action === undefined || action === null || action === 'ALLOW';
}

function hasRules(entry: ManifestEntry): boolean {
  return Array.isArray(entry.object.spec?.rules) && entry.object.spec.rules.length > 0;
}

// ---------------------------------------------------------------------------
// 4.1 and 4.2: RequestAuthentication

/**
 * A DENY rule that denies every request without a request principal: a
 * `from` entry whose source is only `notRequestPrincipals` containing `*`,
 * no `when`, and a `to` (if any) made only of exceptions (`notPorts`,
 * `notPaths`, `notMethods`, `notHosts`: e.g. a plain-HTTP redirect port or a
 * sign-in path). Positive `to` fields (`paths`, `ports`, ...) deny only part
 * of the traffic and do not count.
 */
function deniesWithoutToken(entry: ManifestEntry): boolean {
  const spec = entry.object.spec ?? {};
  if (spec.action !== 'DENY' || !Array.isArray(spec.rules)) return false;
  return spec.rules.some((rule: any) => {
    if (!rule || (Array.isArray(rule.when) && rule.when.length > 0)) return false;
    const to = Array.isArray(rule.to) ? rule.to : [];
    const onlyExceptions = to.every((t: any) => Object.keys(t?.operation ?? {}).every((k) => k.startsWith('not')));
    if (!onlyExceptions) return false;
    return (Array.isArray(rule.from) ? rule.from : []).some((f: any) => {
      const source = f?.source ?? {};
      const keys = Object.keys(source);
      return keys.length === 1 && keys[0] === 'notRequestPrincipals'
        && Array.isArray(source.notRequestPrincipals) && source.notRequestPrincipals.includes('*');
    });
  });
}

const GUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
/** v2 issuers by login host, v1 issuers by STS host (Microsoft's table of sovereign-cloud issuers). */
const ENTRA_ISSUER = new RegExp(
  `^(https://(login\\.microsoftonline\\.com|login\\.microsoftonline\\.us|login\\.partner\\.microsoftonline\\.cn)/${GUID}/v2\\.0`
  + `|https://(sts\\.windows\\.net|sts\\.chinacloudapi\\.cn)/${GUID}/)$`,
);

/** True for an exact Entra issuer: v2 `https://<login host>/<tenant GUID>/v2.0`, v1 `https://<sts host>/<tenant GUID>/`. */
export function isEntraIssuer(issuer: string): boolean {
  return ENTRA_ISSUER.test(issuer);
}

function checkRequestAuthentications(ctx: Context, report: Report): void {
  const denies = ctx.istio('AuthorizationPolicy').filter(deniesWithoutToken);
  const partial = ctx.istio('AuthorizationPolicy').filter((e) => e.object.spec?.action === 'DENY'
    && JSON.stringify(e.object.spec?.rules ?? []).includes('notRequestPrincipals') && !deniesWithoutToken(e));
  for (const ra of ctx.istio('RequestAuthentication')) {
    const rules: any[] = Array.isArray(ra.object.spec?.jwtRules) ? ra.object.spec.jwtRules : [];
    rules.forEach((rule, i) => checkJwtRule(ra, rule ?? {}, i, report));
    if (rules.length === 0) continue;
    const att = ctx.attachment(ra);
    const uncovered = ctx.targets(ra, att).filter((t) => !denies.some((d) => ctx.applies(ctx.attachment(d), t)));
    if (uncovered.length === 0) continue;
    const near = partial.filter((p) => uncovered.some((t) => ctx.applies(ctx.attachment(p), t)));
    const hint = near.length > 0
      ? `; ${list(near.map((p) => objectRef(p.object)))} denies requests without a token only on some operations or conditions (a positive to or a when), which does not count`
      : '';
    report('request-authentication-without-deny', ra, attachmentField(att),
      `validates tokens for ${list(uncovered.map((t) => t.describe))} but no DENY AuthorizationPolicy with notRequestPrincipals: ["*"] applies to them, so a request without a token passes${hint}; add a DENY policy for the same workloads with rules: [{from: [{source: {notRequestPrincipals: ["*"]}}]}]`);
  }
}

function checkJwtRule(ra: ManifestEntry, rule: any, i: number, report: Report): void {
  const base = ['spec', 'jwtRules', i];
  const audiences = rule.audiences;
  if (!Array.isArray(audiences) || audiences.filter((a) => typeof a === 'string' && a !== '').length === 0) {
    report('jwt-rule-without-audiences', ra, [...base, 'audiences'],
      `jwtRule of issuer "${rule.issuer ?? ''}" has ${audiences === undefined ? 'no audiences' : `audiences ${JSON.stringify(audiences)}`}, so any token of the issuer is accepted whatever application it was issued for; list the API's application (client) ID or Application ID URI`);
  }
  const issuer = typeof rule.issuer === 'string' ? rule.issuer : '';
  if (!isEntraIssuer(issuer)) {
    report('jwt-issuer-not-entra', ra, [...base, 'issuer'],
      `issuer "${issuer}" is not an exact Entra issuer; expected https://login.microsoftonline.com/<tenant GUID>/v2.0 or https://sts.windows.net/<tenant GUID>/ (US Government: login.microsoftonline.us; China: login.partner.microsoftonline.cn, sts.chinacloudapi.cn)`);
  }
  for (const key of ['jwksUri', 'jwks_uri']) {
    const uri = rule[key];
    if (typeof uri === 'string' && !/^https:\/\//i.test(uri)) {
      report('jwks-uri-not-https', ra, [...base, key],
        `the JWKS URI "${uri}" is not https, so signing keys can be replaced in transit; use https://<login host>/<tenant GUID>/discovery/v2.0/keys`);
    }
  }
  if (Array.isArray(rule.fromParams) && rule.fromParams.length > 0) {
    report('token-from-query', ra, [...base, 'fromParams'],
      `tokens are accepted from the query parameter${rule.fromParams.length > 1 ? 's' : ''} ${rule.fromParams.map((p: unknown) => `"${p}"`).join(', ')}; remove fromParams and send the token in the Authorization header`);
  }
}

// ---------------------------------------------------------------------------
// 4.4: ALLOW rules

function checkAllowRules(ctx: Context, report: Report): void {
  for (const ap of ctx.istio('AuthorizationPolicy')) {
    if (!isAllow(ap) || !hasRules(ap)) continue;
    (ap.object.spec.rules as any[]).forEach((rule, i) => {
      const r = rule ?? {};
      const from: any[] = Array.isArray(r.from) ? r.from : [];
      const when: any[] = Array.isArray(r.when) ? r.when : [];
      if (from.length === 0 && when.length === 0) {
        const what = Object.keys(r).length === 0 ? 'is {}' : 'has no from and no when';
        report('allow-matches-everyone', ap, ['spec', 'rules', i],
          `the ALLOW rule ${what}, so it matches every caller${Array.isArray(r.to) && r.to.length > 0 ? ' on the operations in to' : ''}, with or without a token; name the callers in from (principals, requestPrincipals) or when (token claims)`);
        return;
      }
      if (when.length > 0) return;
      from.forEach((f, j) => {
        const source = f?.source;
        if (!source || typeof source !== 'object' || Object.keys(source).length === 0) {
          report('allow-matches-everyone', ap, ['spec', 'rules', i, 'from', j, ...(source ? ['source'] : [])],
            `the ALLOW rule's from[${j}] has ${source ? 'an empty source' : 'no source'}, so it matches every caller; name the callers (principals, requestPrincipals, namespaces)`);
        }
      });
    });
  }
}

function checkWideAllows(ctx: Context, report: Report): void {
  const allows = ctx.istio('AuthorizationPolicy').filter((e) => isAllow(e) && hasRules(e));
  const narrow = allows.filter((e) => ['selector', 'targetRefs'].includes(ctx.attachment(e).kind));
  for (const broad of allows) {
    const att = ctx.attachment(broad);
    if (att.kind !== 'namespace' && att.kind !== 'mesh') continue;
    const widened = narrow.filter((n) => ctx.targets(n).some((t) => ctx.applies(att, t)));
    if (widened.length === 0) continue;
    const workloads = widened.flatMap((n) => ctx.targets(n).filter((t) => ctx.applies(att, t)).map((t) => t.describe));
    const scope = att.kind === 'mesh' ? `mesh-wide (root namespace ${att.namespace}, no selector)` : `namespace-wide (no selector or targetRefs)`;
    report('allow-widens-endpoint', broad, ['spec', 'rules'],
      `${scope} ALLOW policy also applies to ${list(workloads)}, which ${list(widened.map((n) => objectRef(n.object)))} protects; Istio ORs ALLOW policies, so its ${broad.object.spec.rules.length} rule${broad.object.spec.rules.length > 1 ? 's add' : ' adds'} callers to theirs; give it a selector that excludes those pods or move the endpoint to its own namespace`);
  }
}

// ---------------------------------------------------------------------------
// 4.12: mesh enrolment

const INJECT = 'sidecar.istio.io/inject';
const DATAPLANE = 'istio.io/dataplane-mode';

/** Workloads that security policies select by selector or targetRefs (namespace-wide policies alone do not make a workload an endpoint). */
function selectedWorkloads(ctx: Context, kinds: readonly string[], actions: readonly string[] = ['ALLOW', 'DENY']): Map<string, { target: Target; policies: ManifestEntry[] }> {
  const out = new Map<string, { target: Target; policies: ManifestEntry[] }>();
  for (const kind of kinds) {
    for (const p of ctx.istio(kind)) {
      const att = ctx.attachment(p);
      if (att.kind !== 'selector' && att.kind !== 'targetRefs') continue;
      if (kind === 'AuthorizationPolicy' && !actions.includes(p.object.spec?.action ?? 'ALLOW')) continue;
      for (const t of ctx.targets(p, att)) {
        if (t.isGateway || t.service !== undefined) continue;
        const cur = out.get(t.key) ?? { target: t, policies: [] };
        cur.policies.push(p);
        out.set(t.key, cur);
      }
    }
  }
  return out;
}

function checkEnrolment(ctx: Context, report: Report): void {
  const selected = selectedWorkloads(ctx, ['RequestAuthentication', 'AuthorizationPolicy', 'PeerAuthentication']);
  const byNamespace = new Map<string, { ns: ManifestEntry; targets: Target[]; policies: ManifestEntry[] }>();
  for (const { target, policies } of [...selected.values()].sort((a, b) => cmp(a.target.key, b.target.key))) {
    const names = list(policies.map((p) => objectRef(p.object)));
    const w = target.workload;
    if (w) {
      const optOut = [['labels', w.labels], ['annotations', w.annotations]].find(([, m]) => (m as Record<string, string>)[INJECT] === 'false');
      if (optOut) {
        report('workload-not-in-mesh', w.entry, [...templatePath(w), 'metadata', optOut[0] as string, INJECT],
          `pod template opts out of the mesh (${INJECT}: "false" ${optOut[0] === 'labels' ? 'label' : 'annotation'}), so ${names} ${policies.length > 1 ? 'are' : 'is'} never enforced for it; remove the opt-out`);
        continue;
      }
      if (w.labels[DATAPLANE] === 'none') {
        report('workload-not-in-mesh', w.entry, [...templatePath(w), 'metadata', 'labels', DATAPLANE],
          `pod template opts out of ambient mode (${DATAPLANE}: none), so ${names} ${policies.length > 1 ? 'are' : 'is'} never enforced for it; remove the label`);
        continue;
      }
    }
    const ns = ctx.set.namespace(target.namespace);
    if (!ns) continue;
    const nsLabels: Record<string, string> = ns.object.metadata.labels ?? {};
    const podLabels = w?.labels ?? {};
    const nsEnrolled = nsLabels['istio-injection'] === 'enabled' || (nsLabels['istio.io/rev'] !== undefined && nsLabels['istio-injection'] !== 'disabled')
      || nsLabels[DATAPLANE] === 'ambient';
    const podEnrolled = nsLabels['istio-injection'] !== 'disabled'
      && (podLabels[INJECT] === 'true' || podLabels['istio.io/rev'] !== undefined || podLabels[DATAPLANE] === 'ambient');
    if (nsEnrolled || podEnrolled) continue;
    const cur = byNamespace.get(target.namespace) ?? { ns, targets: [], policies: [] };
    cur.targets.push(target);
    cur.policies.push(...policies);
    byNamespace.set(target.namespace, cur);
  }
  for (const [name, { ns, targets, policies }] of [...byNamespace.entries()].sort(([a], [b]) => cmp(a, b))) {
    const labels: Record<string, string> = ns.object.metadata.labels ?? {};
    const got = labels['istio-injection'] === 'disabled' ? 'istio-injection: disabled' : 'no istio-injection: enabled, istio.io/rev or istio.io/dataplane-mode: ambient label';
    report('workload-not-in-mesh', ns, ['metadata', 'labels'],
      `namespace ${name} has ${got}, so ${list(targets.map((t) => t.describe))} get${targets.length > 1 ? '' : 's'} no proxy and ${list(policies.map((p) => objectRef(p.object)))} ${policies.length > 1 ? 'are' : 'is'} never enforced; label the namespace istio-injection: enabled (or istio.io/rev: <revision>)`);
  }
}

function templatePath(w: PodTemplateInfo): FieldPath {
  return w.templatePath ? w.templatePath.split('.') : [];
}

// ---------------------------------------------------------------------------
// 4.3: STRICT mTLS

interface PeerLevel {
  readonly entry: ManifestEntry;
  readonly mode: string | undefined;
}

function checkMtls(ctx: Context, report: Report): void {
  // an endpoint: pods that a RequestAuthentication or an ALLOW policy names (a DENY alone does not make one)
  const endpoints = selectedWorkloads(ctx, ['RequestAuthentication', 'AuthorizationPolicy'], ['ALLOW']);
  const pas = ctx.istio('PeerAuthentication').sort((a, b) => cmp(a.object.metadata.name ?? '', b.object.metadata.name ?? ''));
  const onPolicy = new Map<string, { entry: ManifestEntry; field: FieldPath; value: string; targets: Target[] }>();
  const add = (entry: ManifestEntry, field: FieldPath, value: string, t: Target) => {
    const key = `${entry.source.file}\0${objectRef(entry.object)}\0${formatFieldPath(field)}`;
    const cur = onPolicy.get(key) ?? { entry, field, value, targets: [] };
    cur.targets.push(t);
    onPolicy.set(key, cur);
  };
  for (const { target, policies } of [...endpoints.values()].sort((a, b) => cmp(a.target.key, b.target.key))) {
    const workloadPa = pas.find((p) => {
      const att = ctx.attachment(p);
      // "PeerAuthentication policies with workload selectors are ignored when deployed in the root namespace"
      return att.kind === 'selector' && !att.root && namespaceOf(p.object) === target.namespace && matchesLabels(att.selector, target.labels);
    });
    const nsPa = pas.find((p) => namespaceOf(p.object) === target.namespace && ctx.attachment(p).kind === 'namespace');
    const rootPa = pas.find((p) => ctx.attachment(p).kind === 'mesh');
    const levels: PeerLevel[] = [workloadPa, nsPa, rootPa].filter((p): p is ManifestEntry => p !== undefined)
      .map((entry) => ({ entry, mode: entry.object.spec?.mtls?.mode }));
    const effective = levels.find((l) => l.mode !== undefined && l.mode !== 'UNSET');
    if (!effective) {
      const where = target.workload ? target.workload.entry : policies[0];
      const field = target.workload ? [...templatePath(target.workload), 'metadata', 'labels'] : attachmentField(ctx.attachment(policies[0]));
      const got = levels.length === 0 ? 'no PeerAuthentication applies to it (workload, namespace or root)' : `the PeerAuthentications that apply leave mtls.mode UNSET (${list(levels.map((l) => objectRef(l.entry.object)))})`;
      report('mtls-not-strict', where, field,
        `workload ${target.describe} serves a protected endpoint (${list(policies.map((p) => objectRef(p.object)))}) but ${got}, so Istio's default PERMISSIVE accepts plain text; add a PeerAuthentication with mtls.mode: STRICT`);
      continue;
    }
    if (effective.mode !== 'STRICT') add(effective.entry, ['spec', 'mtls', 'mode'], String(effective.mode), target);
    if (workloadPa) {
      const ports = workloadPa.object.spec?.portLevelMtls ?? {};
      for (const port of Object.keys(ports).sort()) {
        const mode = ports[port]?.mode;
        if (mode !== undefined && mode !== 'STRICT' && mode !== 'UNSET') add(workloadPa, ['spec', 'portLevelMtls', port, 'mode'], String(mode), target);
      }
    }
  }
  for (const { entry, field, value, targets } of onPolicy.values()) {
    const port = field[1] === 'portLevelMtls' ? ` on port ${field[2]}` : '';
    report('mtls-not-strict', entry, field,
      `mtls mode is ${value}${port} for ${list(targets.map((t) => t.describe))}, which serve${targets.length > 1 ? '' : 's'} a protected endpoint, so plain-text requests${port} are accepted without a mesh identity; set STRICT`);
  }
}

// ---------------------------------------------------------------------------
// 4.6: snippets

/** The annotation prefixes of community ingress-nginx and F5 NGINX Ingress Controller. */
const NGINX_ANNOTATION_PREFIXES = ['nginx.ingress.kubernetes.io/', 'nginx.org/', 'nginx.com/'];

/**
 * True for an NGINX controller annotation that injects raw configuration:
 * any of theirs whose name says snippet (every `*-snippet` of ingress-nginx,
 * F5's `*-snippets`), so a snippet kind added later is caught too.
 */
function isSnippetAnnotation(key: string): boolean {
  const prefix = NGINX_ANNOTATION_PREFIXES.find((p) => key.startsWith(p));
  return prefix !== undefined && key.slice(prefix.length).toLowerCase().includes('snippet');
}

function checkSnippets(ctx: Context, report: Report): void {
  for (const e of ctx.set.entries) {
    const annotations = e.object.metadata.annotations ?? {};
    for (const key of Object.keys(annotations).sort()) {
      if (isSnippetAnnotation(key)) {
        report('nginx-snippet', e, ['metadata', 'annotations', key],
          `snippet annotation ${key} injects raw NGINX configuration; remove it and use the controller's typed annotations`);
      }
    }
    const group = apiGroup(e.object);
    const spec = e.object.spec ?? {};
    const field = (path: FieldPath, what: string) => report('nginx-snippet', e, path,
      `${what} injects raw NGINX configuration; remove it and use the resource's typed fields`);
    if (group === 'k8s.nginx.org' && e.object.kind === 'VirtualServer') {
      for (const k of ['http-snippets', 'server-snippets']) if (spec[k]) field(['spec', k], `${k}`);
      (Array.isArray(spec.routes) ? spec.routes : []).forEach((r: any, i: number) => {
        if (r?.['location-snippets']) field(['spec', 'routes', i, 'location-snippets'], `routes[${i}].location-snippets`);
      });
    }
    if (group === 'k8s.nginx.org' && e.object.kind === 'VirtualServerRoute') {
      (Array.isArray(spec.subroutes) ? spec.subroutes : []).forEach((r: any, i: number) => {
        if (r?.['location-snippets']) field(['spec', 'subroutes', i, 'location-snippets'], `subroutes[${i}].location-snippets`);
      });
    }
    if (group === 'k8s.nginx.org' && e.object.kind === 'Policy' && spec.externalAuth?.authSnippets) {
      field(['spec', 'externalAuth', 'authSnippets'], 'externalAuth.authSnippets');
    }
    if (group === 'gateway.nginx.org' && e.object.kind === 'SnippetsFilter') {
      field(['spec', 'snippets'], 'an NGINX Gateway Fabric SnippetsFilter');
    }
  }
}

// ---------------------------------------------------------------------------
// 4.8: ServiceEntry

const FQDN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$/i;

function checkServiceEntries(ctx: Context, report: Report): void {
  for (const se of ctx.set.ofKind('ServiceEntry', 'networking.istio.io')) {
    const spec = se.object.spec ?? {};
    (Array.isArray(spec.hosts) ? spec.hosts : []).forEach((h: unknown, i: number) => {
      const host = String(h);
      if (host.includes('*')) {
        report('service-entry-host-not-exact', se, ['spec', 'hosts', i],
          `host "${host}" is a wildcard, so the entry opens egress to every host it matches; list each external host by its exact name`);
      } else if (!FQDN.test(host)) {
        report('service-entry-host-not-exact', se, ['spec', 'hosts', i],
          `host "${host}" is not an exact fully qualified domain name (labels of letters, digits and hyphens with at least one dot); list the external host by its exact name`);
      }
    });
    const exportTo = spec.exportTo;
    if (!Array.isArray(exportTo) || exportTo.length === 0) {
      report('service-entry-export-wide', se, ['spec', 'exportTo'],
        'exportTo is unset, so the entry is exported to every namespace (Istio\'s default "*", unless meshConfig.defaultServiceExportTo says otherwise); set exportTo: ["."]');
    } else if (exportTo.some((x: unknown) => x !== '.')) {
      report('service-entry-export-wide', se, ['spec', 'exportTo'],
        `exportTo is ${JSON.stringify(exportTo)}, wider than the entry's own namespace; set exportTo: ["."]`);
    }
  }
}

// ---------------------------------------------------------------------------
// F5 NGINX Ingress Controller Policy: JWT

function checkF5Policies(ctx: Context, report: Report): void {
  for (const p of ctx.set.ofKind('Policy', 'k8s.nginx.org')) {
    const jwt = p.object.spec?.jwt;
    if (!jwt) continue;
    if (typeof jwt.token === 'string' && jwt.token.startsWith('$arg_')) {
      report('token-from-query', p, ['spec', 'jwt', 'token'],
        `jwt.token is "${jwt.token}", a query parameter; remove token (the default reads the Authorization header) or use a $http_ header variable`);
    }
    if (typeof jwt.jwksURI === 'string' && !/^https:\/\//i.test(jwt.jwksURI)) {
      report('jwks-uri-not-https', p, ['spec', 'jwt', 'jwksURI'],
        `the JWKS URI "${jwt.jwksURI}" is not https, so signing keys can be replaced in transit; use https://<login host>/<tenant GUID>/discovery/v2.0/keys`);
    }
  }
}

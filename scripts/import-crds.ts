/**
 * Regenerates the typed classes in lib/imports/ from the official schemas in
 * schemas/ (vendored, see schemas/SOURCES.tsv), keeping only the kinds and
 * served versions this library emits (smaller generated code, faster synth):
 * the CRDs through `cdk8s import <file>`, and the Kubernetes core kinds
 * (lib/imports/k8s.ts) through the code of `cdk8s import k8s` fed with the
 * vendored Kubernetes 1.36 OpenAPI instead of the download. Runs offline;
 * the same schemas give the same bytes.
 *
 *   npm run import:crds
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';

const root = path.resolve(__dirname, '..');
const schemas = process.env.SCHEMAS_DIR ?? path.resolve(root, 'schemas');
const outDir = path.join(root, 'lib', 'imports');
const tmpDir = path.join(root, '.cdk8s-import-tmp');

/**
 * One import per API group (cdk8s import writes one file per group).
 * `keep` prunes a kind's schema to the listed field paths (below the root:
 * `spec.kubernetes.service.type`), for CRDs whose full types are far larger
 * than what the library writes; every other field is left out of the classes.
 */
const GROUPS: Array<{ files: string[]; kinds: Record<string, string>; keep?: Record<string, string[]> }> = [
  {
    files: ['istio/crd-all.gen.yaml'],
    kinds: { AuthorizationPolicy: 'v1', PeerAuthentication: 'v1', RequestAuthentication: 'v1' },
  },
  {
    files: ['istio/crd-all.gen.yaml'],
    kinds: { DestinationRule: 'v1', VirtualService: 'v1', ServiceEntry: 'v1', Sidecar: 'v1', Gateway: 'v1' },
  },
  {
    files: ['istio/crd-all.gen.yaml'],
    kinds: { Telemetry: 'v1' },
  },
  {
    files: ['nginx-ingress/k8s.nginx.org_policies.yaml', 'nginx-ingress/k8s.nginx.org_virtualservers.yaml'],
    kinds: { Policy: 'v1', VirtualServer: 'v1' },
  },
  {
    files: ['secrets-store-csi/secrets-store.csi.x-k8s.io_secretproviderclasses.yaml'],
    kinds: { SecretProviderClass: 'v1' },
  },
  {
    files: [
      'gateway-api/gateway.networking.k8s.io_gateways.yaml',
      'gateway-api/gateway.networking.k8s.io_httproutes.yaml',
      'gateway-api/gateway.networking.k8s.io_referencegrants.yaml',
    ],
    // ReferenceGrant v1beta1: the only version served by Gateway API bundles before v1.5 (AKS's managed Gateway API on
    // Kubernetes 1.35 and older serves v1.4.1), and still served (the storage version) by v1.5 and v1.6
    kinds: { Gateway: 'v1', HTTPRoute: 'v1', ReferenceGrant: 'v1beta1' },
  },
  {
    files: [
      'nginx-gateway-fabric/gateway.nginx.org_authenticationfilters.yaml',
      'nginx-gateway-fabric/gateway.nginx.org_clientsettingspolicies.yaml',
      'nginx-gateway-fabric/gateway.nginx.org_nginxproxies.yaml',
      'nginx-gateway-fabric/gateway.nginx.org_proxysettingspolicies.yaml',
      'nginx-gateway-fabric/gateway.nginx.org_ratelimitpolicies.yaml',
      'nginx-gateway-fabric/gateway.nginx.org_upstreamsettingspolicies.yaml',
    ],
    kinds: {
      AuthenticationFilter: 'v1alpha1',
      ClientSettingsPolicy: 'v1alpha1',
      NginxProxy: 'v1alpha2',
      ProxySettingsPolicy: 'v1alpha1',
      RateLimitPolicy: 'v1alpha1',
      UpstreamSettingsPolicy: 'v1alpha1',
    },
    // NginxProxy's full types are about 1 MB (every Kubernetes pod and container field):
    // only the Service fields the NGINX Gateway Fabric edge writes (its source ranges)
    keep: { NginxProxy: ['spec.kubernetes.service.type', 'spec.kubernetes.service.loadBalancerSourceRanges'] },
  },
  {
    files: ['gateway-api-inference-extension/inference.networking.k8s.io_inferencepools.yaml'],
    kinds: { InferencePool: 'v1' },
  },
];

/**
 * Istio's CRDs declare some fields twice (`jwks_uri` and `jwksUri`); cdk8s
 * import folds both into one property and emits the snake_case name. Drop the
 * alias so the generated classes write the documented camelCase field.
 */
function dropSnakeCaseAliases(schema: any): void {
  if (!schema || typeof schema !== 'object') return;
  if (schema.properties) {
    for (const name of Object.keys(schema.properties)) {
      const camel = name.replace(/_([a-z])/g, (_m: string, c: string) => c.toUpperCase());
      if (camel !== name && schema.properties[camel]) delete schema.properties[name];
    }
    Object.values(schema.properties).forEach(dropSnakeCaseAliases);
  }
  dropSnakeCaseAliases(schema.items);
  if (typeof schema.additionalProperties === 'object') dropSnakeCaseAliases(schema.additionalProperties);
  for (const key of ['oneOf', 'anyOf', 'allOf']) (schema[key] ?? []).forEach(dropSnakeCaseAliases);
}

/**
 * Prunes an object schema to the given field paths (`a.b.c`): at each level
 * only the properties on a kept path stay (a kept path's whole subtree
 * stays), with `required` and CEL rules limited to what is left. The
 * conformance tests validate against the vendored, unpruned CRD.
 */
function keepOnly(schema: any, paths: string[]): void {
  const tree: Record<string, any> = {};
  for (const p of paths) {
    let node = tree;
    const parts = p.split('.');
    parts.forEach((part, i) => {
      node[part] = i === parts.length - 1 ? true : (node[part] === true ? true : (node[part] ?? {}));
      node = node[part];
    });
  }
  const prune = (s: any, keep: Record<string, any>): void => {
    if (!s?.properties) throw new Error(`keepOnly: no properties where ${Object.keys(keep)} are kept`);
    for (const name of Object.keys(s.properties)) if (!(name in keep)) delete s.properties[name];
    for (const [name, sub] of Object.entries(keep)) {
      if (!s.properties[name]) throw new Error(`keepOnly: no field ${name}`);
      if (sub !== true) prune(s.properties[name], sub);
    }
    if (Array.isArray(s.required)) s.required = s.required.filter((r: string) => r in keep);
    // rules may name the fields left out
    delete s['x-kubernetes-validations'];
  };
  prune(schema, { apiVersion: true, kind: true, metadata: true, ...tree });
}

/**
 * The generated toJson_* helpers drop undefined fields by spreading the
 * accumulator once per field (quadratic allocations, most of the synth's
 * garbage at scale). Rewrite that one statement as a loop; same output.
 */
function speedUpToJson(file: string): void {
  const slow = 'return Object.entries(result).reduce((r, i) => (i[1] === undefined) ? r : ({ ...r, [i[0]]: i[1] }), {});';
  const fast = 'const out: Record<string, any> = {}; for (const k in result) { const v = (result as Record<string, any>)[k]; if (v !== undefined) out[k] = v; } return out;';
  const text = fs.readFileSync(file, 'utf8');
  fs.writeFileSync(file, text.split(slow).join(fast));
}

/**
 * NGINX snippet fields (F5's `server-snippets`, `location-snippets`) inject raw
 * configuration and are never emitted (DESIGN.md invariant 6): leave them out
 * of the generated classes so no code here can set one.
 */
function dropSnippetFields(schema: any): void {
  if (!schema || typeof schema !== 'object') return;
  if (schema.properties) {
    for (const name of Object.keys(schema.properties)) if (name.toLowerCase().includes('snippet')) delete schema.properties[name];
    Object.values(schema.properties).forEach(dropSnippetFields);
  }
  dropSnippetFields(schema.items);
  if (typeof schema.additionalProperties === 'object') dropSnippetFields(schema.additionalProperties);
  for (const key of ['oneOf', 'anyOf', 'allOf']) (schema[key] ?? []).forEach(dropSnippetFields);
}

/**
 * The Kubernetes core kinds the library builds itself (lib/imports/k8s.ts),
 * by API group (`''` for the core group), kind and version. Everything they
 * reference is generated with them; no other kind is.
 */
const K8S_KINDS: ReadonlyArray<{ group: string; kind: string; version: string }> = [
  { group: '', kind: 'ConfigMap', version: 'v1' },
  { group: '', kind: 'Namespace', version: 'v1' },
  { group: '', kind: 'Service', version: 'v1' },
  { group: '', kind: 'ServiceAccount', version: 'v1' },
  { group: 'apps', kind: 'Deployment', version: 'v1' },
  { group: 'networking.k8s.io', kind: 'Ingress', version: 'v1' },
  { group: 'networking.k8s.io', kind: 'NetworkPolicy', version: 'v1' },
  { group: 'policy', kind: 'PodDisruptionBudget', version: 'v1' },
];

/**
 * The JSON schema `cdk8s import k8s@<version>` downloads
 * (`cdk8s-team/cdk8s` `kubernetes-schemas/v<version>/_definitions.json`) is
 * the Kubernetes OpenAPI's `definitions` passed through `openapi2jsonschema
 * --kubernetes` (cdk8s' `tools/import-spec.sh`): IntOrString and Quantity
 * become unions (`oneOf`), which the generator turns into the
 * `IntOrString.fromNumber/fromString` and `Quantity` classes, and each kind's
 * `kind` property gets an enum of its kind. The same steps here, on the
 * vendored swagger.json.
 */
function kubernetesJsonSchema(swagger: { definitions: Record<string, any> }): { definitions: Record<string, any> } {
  const definitions = JSON.parse(JSON.stringify(swagger.definitions)) as Record<string, any>;
  definitions['io.k8s.apimachinery.pkg.util.intstr.IntOrString'] = { oneOf: [{ type: 'string' }, { type: 'integer' }] };
  definitions['io.k8s.apimachinery.pkg.api.resource.Quantity'] = { oneOf: [{ type: 'string' }, { type: 'number' }] };
  for (const def of Object.values(definitions)) {
    for (const gvk of def['x-kubernetes-group-version-kind'] ?? []) {
      const kind = def.properties?.kind;
      if (kind && !(kind.enum ?? []).includes(gvk.kind)) kind.enum = [...(kind.enum ?? []), gvk.kind];
    }
  }
  return { definitions };
}

/**
 * Writes lib/imports/k8s.ts with cdk8s-cli's own generator
 * (`ImportKubernetesApi`: `findApiObjectDefinitions`, json2jsii's
 * `TypeGenerator`, `generateConstruct`), the steps of its
 * `generateTypeScript` in the same order, from the local schema and only for
 * {@link K8S_KINDS}. cdk8s-cli exports none of these, so they are loaded
 * from its files.
 */
async function importKubernetes(): Promise<void> {
  const cliDir = path.dirname(require.resolve('cdk8s-cli/package.json'));
  const cli = (file: string) => require(path.join(cliDir, 'lib', 'import', file));
  const { ImportKubernetesApi, findApiObjectDefinitions } = cli('k8s.js');
  const { emitHeader, generateConstruct, getPropsTypeName, getTypeName } = cli('codegen.js');
  const { parseApiTypeName, safeParseJsonSchema } = cli('k8s-util.js');
  const { Language } = cli('base.js');
  const { TypeGenerator } = createRequire(path.join(cliDir, 'package.json'))('json2jsii');

  const swagger = JSON.parse(fs.readFileSync(path.join(schemas, 'kubernetes', 'swagger.json'), 'utf8'));
  // parsed as cdk8s-cli parses the downloaded schema (its reviver sanitizes descriptions)
  const schema = safeParseJsonSchema(JSON.stringify(kubernetesJsonSchema(swagger)));
  const wanted = (o: { group: string; kind: string; version: string }) =>
    K8S_KINDS.some((k) => k.group === o.group && k.kind === o.kind && k.version === o.version);

  class LocalKubernetesApi extends ImportKubernetesApi {
    constructor() {
      super({ apiVersion: '1.36.0' });
    }

    protected async generateTypeScript(code: any, moduleName: string, options: { classNamePrefix?: string }): Promise<void> {
      if (moduleName !== 'k8s') throw new Error(`unexpected module ${moduleName}`);
      const prefix = options.classNamePrefix ?? 'Kube';
      const topLevelObjects = findApiObjectDefinitions(schema, prefix).filter(wanted);
      if (topLevelObjects.length !== K8S_KINDS.length) {
        throw new Error(`expected ${K8S_KINDS.length} kinds in swagger.json, found ${topLevelObjects.map((o: any) => o.kind)}`);
      }
      const typeGenerator = new TypeGenerator({
        definitions: schema.definitions,
        renderTypeName: (def: string) => {
          const parsed = parseApiTypeName(def);
          return parsed.version ? getTypeName(false, parsed.basename, parsed.version.raw) : parsed.basename;
        },
      });
      for (const o of topLevelObjects) typeGenerator.addDefinition(o.fqn, { $ref: `#/definitions/${getPropsTypeName(o)}` });
      for (const o of topLevelObjects) generateConstruct(typeGenerator, o);
      emitHeader(code, false);
      code.line(typeGenerator.render());
    }
  }
  await new LocalKubernetesApi().import({ outdir: outDir, targetLanguage: Language.TYPESCRIPT });
}

async function main(): Promise<void> {
  if (!fs.existsSync(schemas)) {
    throw new Error(`schemas not found at ${schemas}; run tsx scripts/schemas.ts --check, or set SCHEMAS_DIR`);
  }
  fs.rmSync(tmpDir, { recursive: true, force: true });
  fs.mkdirSync(tmpDir, { recursive: true });
  // `cdk8s import` records each import in cdk8s.yaml; keep the project's file as it is
  const cdk8sYaml = path.join(root, 'cdk8s.yaml');
  const cdk8sYamlBefore = fs.existsSync(cdk8sYaml) ? fs.readFileSync(cdk8sYaml) : undefined;
  fs.mkdirSync(outDir, { recursive: true });
  GROUPS.forEach((group, i) => {
    const docs: unknown[] = [];
    for (const file of group.files) {
      for (const doc of parseAllDocuments(fs.readFileSync(path.join(schemas, file), 'utf8'))) {
        const crd = doc.toJS() as any;
        if (!crd || crd.kind !== 'CustomResourceDefinition') continue;
        const wanted = group.kinds[crd.spec.names.kind];
        if (!wanted) continue;
        crd.spec.versions = crd.spec.versions.filter((v: any) => v.name === wanted);
        crd.spec.versions.forEach((v: any) => dropSnakeCaseAliases(v.schema?.openAPIV3Schema));
        crd.spec.versions.forEach((v: any) => dropSnippetFields(v.schema?.openAPIV3Schema));
        const keep = group.keep?.[crd.spec.names.kind];
        if (keep) crd.spec.versions.forEach((v: any) => keepOnly(v.schema.openAPIV3Schema, keep));
        if (crd.spec.versions.length !== 1) throw new Error(`${crd.spec.names.kind}: version ${wanted} not in ${file}`);
        docs.push(crd);
      }
    }
    const expected = Object.keys(group.kinds).length;
    if (docs.length !== expected) throw new Error(`expected ${expected} CRDs for ${Object.keys(group.kinds)}, found ${docs.length}`);
    const tmp = path.join(tmpDir, `group-${i}.yaml`);
    fs.writeFileSync(tmp, docs.map((d) => stringify(d)).join('---\n'));
    execFileSync(path.join(root, 'node_modules', '.bin', 'cdk8s'), ['import', tmp, '-l', 'typescript', '-o', outDir, '--no-check-upgrade'], {
      stdio: 'inherit',
      env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' },
    });
  });
  if (cdk8sYamlBefore) fs.writeFileSync(cdk8sYaml, cdk8sYamlBefore);
  await importKubernetes();
  for (const file of fs.readdirSync(outDir).filter((f) => f.endsWith('.ts'))) speedUpToJson(path.join(outDir, file));
  fs.rmSync(tmpDir, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});

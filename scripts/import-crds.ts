/**
 * Regenerates the typed CRD classes in lib/imports/ from the official CRDs in
 * schemas/ (vendored, see schemas/SOURCES.tsv), keeping only the kinds and served versions this library
 * emits (smaller generated code, faster synth). Runs offline.
 *
 *   npm run import:crds
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';

const root = path.resolve(__dirname, '..');
const schemas = process.env.SCHEMAS_DIR ?? path.resolve(root, 'schemas');
const outDir = path.join(root, 'lib', 'imports');
const tmpDir = path.join(root, '.cdk8s-import-tmp');

/** One import per API group (cdk8s import writes one file per group). */
const GROUPS: Array<{ files: string[]; kinds: Record<string, string> }> = [
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

function main(): void {
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
  for (const file of fs.readdirSync(outDir).filter((f) => f.endsWith('.ts'))) speedUpToJson(path.join(outDir, file));
  fs.rmSync(tmpDir, { recursive: true, force: true });
}

main();

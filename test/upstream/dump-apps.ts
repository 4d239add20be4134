/**
 * Writes one multi-document YAML per app into test/upstream/.apps/ for the Go
 * harness (go test in test/upstream, kube and lint): every example (examples/index.ts), every
 * test app (test/apps/index.ts) and a fixed-seed sample of property-test apps
 * (test/properties/arbitraries.ts). Synthesized as the conformance suite does:
 * Testing.app() + app.synthYaml().
 *
 *   node_modules/.bin/tsx test/upstream/dump-apps.ts [outDir]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Testing, type App } from 'cdk8s';
import * as fc from 'fast-check';
import { EXAMPLES } from '../../examples';
import { TEST_APPS } from '../apps';
import { appSpecArb, buildSpec } from '../properties/arbitraries';
/**
 * Apps only the upstream harness reads, for options no example or test app
 * uses (none now: browser sign-in, azureml-fe and gRPC are test apps).
 */
const EXTRA_APPS: Array<{ name: string; build(app: App): void }> = [];

/** Fixed so that every run checks the same property apps. */
export const PROPERTY_SEED = 20261125;
export const PROPERTY_APPS = 8;

interface Entry { slug: string; label: string; build(app: App): void }

function slugify(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60);
}

function entries(): Entry[] {
  const out: Entry[] = [];
  for (const e of EXAMPLES) out.push({ slug: `example-${slugify(e.name)}`, label: `example: ${e.name}`, build: (a) => e.build(a) });
  TEST_APPS.forEach((t, i) => out.push({ slug: `app-${String(i).padStart(2, '0')}-${slugify(t.name)}`, label: `test app: ${t.name}`, build: (a) => t.build(a) }));
  EXTRA_APPS.forEach((t, i) => out.push({ slug: `extra-${String(i).padStart(2, '0')}-${slugify(t.name)}`, label: `upstream-only app: ${t.name}`, build: (a) => t.build(a) }));
  fc.sample(appSpecArb(), { seed: PROPERTY_SEED, numRuns: PROPERTY_APPS }).forEach((spec, i) => out.push({
    slug: `property-${PROPERTY_SEED}-${i}`,
    label: `property app ${i} (seed ${PROPERTY_SEED}, ${spec.endpoints.length} endpoints)`,
    build: (a) => buildSpec(a, spec),
  }));
  return out;
}

function main(): void {
  const outDir = path.resolve(process.argv[2] ?? path.join(__dirname, '.apps'));
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });
  const index: Array<{ slug: string; label: string; documents: number }> = [];
  for (const e of entries()) {
    const app = Testing.app();
    e.build(app);
    const yaml = app.synthYaml();
    const documents = yaml.split(/^---$/m).filter((d) => d.trim() !== '').length;
    fs.writeFileSync(path.join(outDir, `${e.slug}.yaml`), `# ${e.label}\n${yaml}`);
    index.push({ slug: e.slug, label: e.label, documents });
  }
  fs.writeFileSync(path.join(outDir, 'index.json'), JSON.stringify(index, null, 2) + '\n');
  const total = index.reduce((n, e) => n + e.documents, 0);
  console.log(`dump-apps: ${index.length} apps, ${total} documents -> ${path.relative(process.cwd(), outDir)}`);
}

main();

/**
 * Every ```ts block in docs/ and README.md is a complete program, run against
 * the package as users install it: `npm pack`, the tarball unpacked into a
 * temp directory's node_modules (test/consumers/pack.ts), and the snippet
 * written there unchanged, so `from 'cdk8s-azureml-mesh'` resolves to the
 * packed build through package.json `exports`, never to lib/. Each snippet
 * type-checks against the packed declarations (a name the package does not
 * export fails) and runs, writing manifests.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PACKAGE_NAME, installInto, packTarball } from './consumers/pack';

const root = path.resolve(__dirname, '..');
const pages = [path.join(root, 'README.md'), ...fs.readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => path.join(root, 'docs', f))]
  .filter((f) => fs.existsSync(f));

const blocks = pages.flatMap((page) => {
  const text = fs.readFileSync(page, 'utf8');
  return [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m, i) => [`${path.relative(root, page)} #${i + 1}`, m[1]] as const);
});

/** The packages the snippets import besides this one (cdk8s, a cdk8s-plus line, ...), by package name. */
function importedPackages(): string[] {
  const names = new Set<string>();
  for (const [, code] of blocks) {
    for (const m of code.matchAll(/from '([^'.][^']*)'/g)) {
      const spec = m[1];
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
      if (name !== PACKAGE_NAME && !spec.startsWith('node:')) names.add(name);
    }
  }
  return [...names].sort();
}

const fileName = (name: string): string => `${name.replace(/[^A-Za-z0-9]+/g, '-').replace(/-+$/, '')}.ts`;

let dir = '';

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mesh-docs-'));
  const tarball = packTarball(path.join(dir, 'tarball'));
  // peers and tools are linked by installInto; cdk8s-plus lines (and anything else a snippet names) added here
  const extra = importedPackages().filter((n) => !fs.existsSync(path.join(dir, 'node_modules', n)) && /^cdk8s-plus-\d+$/.test(n));
  installInto(dir, tarball, extra);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'docs-snippets', private: true }));
  for (const [name, code] of blocks) fs.writeFileSync(path.join(dir, fileName(name)), code);
}, 300_000);

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('documentation snippets', () => {
  test('there are snippets to run', () => {
    expect(blocks.length).toBeGreaterThan(0);
  });

  test('the snippets import only packages a user installs (this one, its peers)', () => {
    for (const name of importedPackages()) expect(fs.existsSync(path.join(dir, 'node_modules', name, 'package.json'))).toBe(true);
  });

  test('the package the snippets resolve is the packed one, not lib/', () => {
    const resolved = require.resolve(PACKAGE_NAME, { paths: [dir] });
    expect(fs.realpathSync(resolved)).toBe(path.join(fs.realpathSync(dir), 'node_modules', PACKAGE_NAME, 'build', 'lib', 'index.js'));
    expect(fs.existsSync(path.join(dir, 'node_modules', PACKAGE_NAME, 'test'))).toBe(false);
  });

  test('every snippet type-checks against the packed declarations', () => {
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { module: 'node16', moduleResolution: 'node16', target: 'ES2022', lib: ['ES2022'], strict: true, noEmit: true, skipLibCheck: true, types: ['node'] },
      files: blocks.map(([name]) => fileName(name)),
    }));
    let output = '';
    try {
      execFileSync(process.execPath, [path.join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: dir, stdio: 'pipe', encoding: 'utf8' });
    } catch (e) {
      output = `${(e as { stdout?: string }).stdout ?? ''}${(e as { stderr?: string }).stderr ?? ''}`;
    }
    expect(output).toBe('');
  }, 300_000);

  test.each(blocks)('%s runs and writes manifests', (name) => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'mesh-doc-'));
    try {
      execFileSync(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), fileName(name)], {
        cwd: dir,
        env: { ...process.env, CDK8S_OUTDIR: outdir },
        stdio: 'pipe',
      });
      const written = fs.readdirSync(outdir).filter((f) => f.endsWith('.k8s.yaml'));
      expect(written.length).toBeGreaterThan(0);
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });
});

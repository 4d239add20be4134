/**
 * Runs the cdk8s-plus-facing tests once per tested cdk8s-plus line (28, 33,
 * 34): every test that creates cdk8s-plus objects (it imports
 * `cdk8s-plus-34`, which jest.config.js maps to the line in
 * CDK8S_PLUS_LINE), the examples test, and the schema conformance of the
 * examples and test apps (whose own objects come from the line too).
 * test/plus/lines.test.ts names every line itself and runs in `npm test`.
 * Extra arguments go to jest (e.g. `npm run test:plus -- --ci`).
 *
 *   npm run test:plus
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..');
const LINES = ['28', '33', '34'];

/** Test files that load cdk8s-plus objects: they import the development line, the examples or the test apps. */
function plusFacingTests(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory() && !entry.name.startsWith('.') && entry.name !== '__snapshots__' && entry.name !== 'upstream') walk(file);
      else if (entry.name.endsWith('.test.ts') && !file.endsWith(path.join('plus', 'lines.test.ts'))) {
        const text = fs.readFileSync(file, 'utf8');
        if (/from '(cdk8s-plus-34|(\.\.\/)+examples|(\.\.\/)+apps)'/.test(text)) out.push(path.relative(root, file));
      }
    }
  };
  walk(path.join(root, 'test'));
  return out.sort();
}

function main(): void {
  const tests = plusFacingTests();
  const failed: string[] = [];
  for (const line of LINES) {
    console.log(`\n== cdk8s-plus-${line}: ${tests.length} test files (${tests.join(', ')})`);
    const start = Date.now();
    const run = spawnSync(path.join(root, 'node_modules', '.bin', 'jest'), [...process.argv.slice(2), ...tests], {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, CDK8S_PLUS_LINE: line, CDK8S_CHECK_UPGRADE: 'false' },
    });
    console.log(`== cdk8s-plus-${line}: ${run.status === 0 ? 'passed' : 'FAILED'} in ${Math.round((Date.now() - start) / 1000)} s`);
    if (run.status !== 0) failed.push(line);
  }
  if (failed.length) {
    console.error(`\ncdk8s-plus-facing tests failed on ${failed.map((l) => `cdk8s-plus-${l}`).join(', ')}`);
    process.exitCode = 1;
  }
}

main();

/**
 * schemas/ holds the official CRDs and OpenAPI byte-identical to upstream:
 * every file is listed in schemas/SOURCES.tsv with its git blob hash.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { blobHash, checkSchemas, readSources, SCHEMAS_DIR } from '../../scripts/schemas';

describe('vendored schemas', () => {
  test('every file matches the blob hash SOURCES.tsv records', () => {
    expect(checkSchemas()).toEqual([]);
    expect(readSources().sources.length).toBeGreaterThanOrEqual(28);
  });

  test('the blob hash is git hash-object of the file', () => {
    // git hash-object of "hello\n"
    expect(blobHash(Buffer.from('hello\n'))).toBe('ce013625030ba8dba906f756967f9e9ca394464a');
    // the Istio CRDs of tag 1.30.3, as the provenance README names them
    const istio = readSources().sources.find((s) => s.file === 'istio/crd-all.gen.yaml');
    expect(istio?.blob).toBe('7318e07ffdaca66dbbfdc4e27e93da74eabdd3a2');
    expect(istio?.commit).toBe('56df41f63e513f834c9a3af33d8aed82d1d961f2');
  });

  test('fails on a changed byte, a missing file and an unlisted file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'schemas-'));
    try {
      fs.cpSync(SCHEMAS_DIR, dir, { recursive: true });
      fs.chmodSync(path.join(dir, 'istio', 'crd-all.gen.yaml'), 0o644);
      fs.appendFileSync(path.join(dir, 'istio', 'crd-all.gen.yaml'), '\n');
      fs.rmSync(path.join(dir, 'linkerd', 'linkerd-crds.yaml'));
      fs.writeFileSync(path.join(dir, 'gateway-api', 'extra.yaml'), 'kind: CustomResourceDefinition\n');
      const problems = checkSchemas(dir);
      expect(problems).toEqual(expect.arrayContaining([
        expect.stringMatching(/^istio\/crd-all\.gen\.yaml: blob [0-9a-f]{40}, SOURCES\.tsv says 7318e07f/),
        'linkerd/linkerd-crds.yaml: listed in SOURCES.tsv but missing',
        expect.stringMatching(/^gateway-api\/extra\.yaml: not listed/),
      ]));
      expect(problems).toHaveLength(3);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { App } from 'cdk8s';
import { Caller } from '../../lib';
import { accessMapFromManifests } from '../../lib/access/from-manifests';
import { ManifestSet } from '../../lib/access/manifests';
import { accessMapJson, accessMapMarkdown, accessMapMermaid, markdownCell, mermaidId, mermaidText, sortAccessMap } from '../../lib/access/map';
import { AccessMapRow } from '../../lib/access/map-row';
import { BatchScorerChart, FraudScoringChart } from '../../examples/fraud-scoring';
import { synthApp } from '../util';

const row = (overrides: Partial<AccessMapRow> = {}): AccessMapRow => ({
  endpoint: 'fraud/fraud-model',
  door: 'mesh',
  caller: 'appRole Fraud.Score',
  principal: '*',
  token: 'roles=Fraud.Score',
  paths: ['/score'],
  methods: ['POST'],
  azureRole: '-',
  ...overrides,
});

const ROWS: AccessMapRow[] = [
  row({ endpoint: 'risk/risk-model', door: 'edge risk.contoso.com', caller: 'appRole Risk.Score' }),
  row({ door: 'edge fraud.contoso.com', caller: 'application 3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d', token: 'azp=3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d' }),
  row({ door: 'edge fraud.contoso.com' }),
  row({ caller: 'workload cluster.local/ns/batch/sa/batch-scorer', principal: 'cluster.local/ns/batch/sa/batch-scorer', token: 'oid=9e8d7c6b-5a4f-4e3d-9c2b-1a0f9e8d7c6b' }),
  row({ endpoint: 'azureml/azureml-fe', caller: 'azureml-fe router', principal: 'cluster.local/ns/azureml/sa/azureml-fe', token: 'none', paths: [], methods: [] }),
];

/** A deterministic shuffle (no randomness in tests). */
const reversedAndRotated = <T>(xs: readonly T[]): T[] => {
  const r = [...xs].reverse();
  return [...r.slice(2), ...r.slice(0, 2)];
};

/** The table lines of a Markdown map (header and separator excluded). */
const tableLines = (md: string): string[] => md.split('\n').filter((l) => l.startsWith('| ')).slice(1);
/** The lines of the fenced Mermaid block. */
const mermaidBlock = (md: string): string[] => md.slice(md.indexOf('```mermaid\n') + 11, md.lastIndexOf('```')).split('\n').filter(Boolean);

describe('sortAccessMap', () => {
  test('orders by endpoint, door, caller, principal, token, paths, methods, by code unit', () => {
    const sorted = sortAccessMap(ROWS);
    expect(sorted.map((r) => [r.endpoint, r.door, r.caller])).toEqual([
      ['azureml/azureml-fe', 'mesh', 'azureml-fe router'],
      ['fraud/fraud-model', 'edge fraud.contoso.com', 'appRole Fraud.Score'],
      ['fraud/fraud-model', 'edge fraud.contoso.com', 'application 3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d'],
      ['fraud/fraud-model', 'mesh', 'workload cluster.local/ns/batch/sa/batch-scorer'],
      ['risk/risk-model', 'edge risk.contoso.com', 'appRole Risk.Score'],
    ]);
    // upper case before lower case (code units), whatever the locale says
    expect(sortAccessMap([row({ caller: 'b' }), row({ caller: 'B' }), row({ caller: 'a' })]).map((r) => r.caller)).toEqual(['B', 'a', 'b']);
    // ties on the first keys are broken by the later ones, lists element by element
    expect(sortAccessMap([row({ paths: ['/b'] }), row({ paths: ['/a', '/c'] }), row({ paths: ['/a'] })]).map((r) => r.paths)).toEqual([['/a'], ['/a', '/c'], ['/b']]);
    expect(sortAccessMap([row({ methods: ['POST'] }), row({ methods: ['GET'] })]).map((r) => r.methods)).toEqual([['GET'], ['POST']]);
  });

  test('sorts paths and methods within a row, keeps a repeated row once, and leaves its input alone', () => {
    const input = [row({ paths: ['/z', '/a', '/a'], methods: ['POST', 'GET'] }), row({ paths: ['/a', '/z'], methods: ['GET', 'POST'] })];
    const sorted = sortAccessMap(input);
    expect(sorted).toEqual([row({ paths: ['/a', '/z'], methods: ['GET', 'POST'] })]);
    expect(input[0].paths).toEqual(['/z', '/a', '/a']);
  });
});

describe('accessMapMarkdown', () => {
  test('a title, a legend, one table line per row (sorted, any for empty lists), then the Mermaid diagram', () => {
    const md = accessMapMarkdown(ROWS);
    const lines = md.split('\n');
    expect(lines[0]).toBe('# Access map');
    expect(lines[2]).toMatch(/^One line per caller, endpoint and door\./);
    expect(lines[4]).toBe('| endpoint | door | caller | principal | token | paths | methods | Azure role |');
    expect(lines[5]).toBe('|---|---|---|---|---|---|---|---|');
    expect(tableLines(md)).toEqual([
      '| azureml/azureml-fe | mesh | azureml-fe router | cluster.local/ns/azureml/sa/azureml-fe | none | any | any | - |',
      '| fraud/fraud-model | edge fraud.contoso.com | appRole Fraud.Score | \\* | roles=Fraud.Score | /score | POST | - |',
      '| fraud/fraud-model | edge fraud.contoso.com | application 3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d | \\* | azp=3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d | /score | POST | - |',
      '| fraud/fraud-model | mesh | workload cluster.local/ns/batch/sa/batch-scorer | cluster.local/ns/batch/sa/batch-scorer | oid=9e8d7c6b-5a4f-4e3d-9c2b-1a0f9e8d7c6b | /score | POST | - |',
      '| risk/risk-model | edge risk.contoso.com | appRole Risk.Score | \\* | roles=Fraud.Score | /score | POST | - |',
    ]);
    expect(md).toContain('\n```mermaid\nflowchart LR\n');
    expect(md.endsWith('```\n')).toBe(true);
  });

  test('the same rows in any order give the same bytes', () => {
    expect(accessMapMarkdown(reversedAndRotated(ROWS))).toBe(accessMapMarkdown(ROWS));
    expect(accessMapJson(reversedAndRotated(ROWS))).toBe(accessMapJson(ROWS));
    expect(accessMapMermaid(reversedAndRotated(ROWS))).toBe(accessMapMermaid(ROWS));
  });

  test('cells are escaped: a pipe or a backtick never splits the row or opens code, line breaks never end it', () => {
    const md = accessMapMarkdown([row({ caller: 'a|b `c` *d* _e_ <f> [g]\\h\ni &amp;', paths: ['/x|y'] })], { mermaid: false });
    const [line] = tableLines(md);
    expect(line).toBe('| fraud/fraud-model | mesh | a\\|b \\`c\\` \\*d\\* \\_e\\_ \\<f\\> \\[g\\]\\\\h i \\&amp; | \\* | roles=Fraud.Score | /x\\|y | POST | - |');
    // 9 unescaped pipes: 8 cells
    expect(line.match(/(?<!\\)\|/g)).toHaveLength(9);
    expect(markdownCell('plain text-1.2/3')).toBe('plain text-1.2/3');
  });

  test('options: title, source line, no diagram; an empty map says so', () => {
    const md = accessMapMarkdown([], { title: 'Who calls fraud', source: 'Read from `dist/`.', mermaid: false });
    expect(md).toBe([
      '# Who calls fraud', '', 'Read from `dist/`.', '',
      md.split('\n')[4],
      '',
      '| endpoint | door | caller | principal | token | paths | methods | Azure role |',
      '|---|---|---|---|---|---|---|---|',
      '',
      'No endpoint found.',
      '',
    ].join('\n'));
    expect(md).not.toContain('mermaid');
  });

  test('a pull request that adds one caller shows one added line in the table (and only added lines in the diagram)', () => {
    const build = (extra: boolean) => (app: App) => {
      const fraud = new FraudScoringChart(app, 'fraud-scoring');
      const batch = new BatchScorerChart(app, 'batch-scorer');
      fraud.endpoint.grantInvoke(batch.binding);
      if (extra) fraud.endpoint.addCaller(Caller.group('12345678-1234-4234-8234-123456789abc'));
    };
    const map = (extra: boolean) => accessMapMarkdown(accessMapFromManifests(ManifestSet.fromObjects(synthApp(build(extra)).manifests)));
    const before = map(false);
    const after = map(true);
    const added = tableLines(after).filter((l) => !tableLines(before).includes(l));
    const removed = tableLines(before).filter((l) => !tableLines(after).includes(l));
    expect(removed).toEqual([]);
    expect(added).toEqual([
      '| fraud/fraud-model | edge fraud.contoso.com | groups=12345678-1234-4234-8234-123456789abc via cluster.local/ns/fraud-edge/sa/fraud-edge-istio '
        + '| cluster.local/ns/fraud-edge/sa/fraud-edge-istio | groups=12345678-1234-4234-8234-123456789abc | /score | POST | - |',
    ]);
    // the table keeps its order: the new line lands between existing ones, the others do not move
    expect(tableLines(after).filter((l) => l !== added[0])).toEqual(tableLines(before));
    expect(mermaidBlock(before).filter((l) => !mermaidBlock(after).includes(l))).toEqual([]);
    // one node and one edge more: the new caller, and its edge to the door it comes through
    expect(mermaidBlock(after).length - mermaidBlock(before).length).toBe(2);
  });
});

describe('accessMapJson', () => {
  test('schemaVersion 1 and the rows, keys in a fixed order, indented by 2, with a final newline', () => {
    const json = accessMapJson([row({ paths: [], methods: [] })], { source: 'dist/' });
    expect(json).toBe(`${[
      '{',
      '  "schemaVersion": 1,',
      '  "source": "dist/",',
      '  "rows": [',
      '    {',
      '      "endpoint": "fraud/fraud-model",',
      '      "door": "mesh",',
      '      "caller": "appRole Fraud.Score",',
      '      "principal": "*",',
      '      "token": "roles=Fraud.Score",',
      '      "paths": [],',
      '      "methods": [],',
      '      "azureRole": "-"',
      '    }',
      '  ]',
      '}',
    ].join('\n')}\n`);
  });

  test('key order does not depend on how the rows were built', () => {
    const shuffled = { azureRole: '-', methods: ['POST'], paths: ['/score'], token: 'any', principal: '*', caller: 'anyAuthenticated', door: 'mesh', endpoint: 'a/b' };
    const parsed = JSON.parse(accessMapJson([shuffled]));
    expect(Object.keys(parsed)).toEqual(['schemaVersion', 'rows']);
    expect(Object.keys(parsed.rows[0])).toEqual(['endpoint', 'door', 'caller', 'principal', 'token', 'paths', 'methods', 'azureRole']);
  });
});

describe('accessMapMermaid', () => {
  test('flowchart LR: caller nodes, door nodes (one per door of an endpoint), endpoint nodes, then one line per edge', () => {
    const lines = accessMapMermaid(ROWS).trimEnd().split('\n');
    expect(lines[0]).toBe('flowchart LR');
    const nodes = lines.filter((l) => /^ {2}\w+[[(]/.test(l));
    const edges = lines.filter((l) => l.includes(' --> ') || l.includes(' -->|'));
    expect(nodes.length + edges.length + 1).toBe(lines.length);
    // 5 callers, 4 doors (fraud has two: its edge and the mesh), 3 endpoints
    expect(nodes.filter((l) => l.startsWith('  caller_'))).toHaveLength(5);
    expect(nodes.filter((l) => l.startsWith('  door_'))).toHaveLength(4);
    expect(nodes.filter((l) => l.startsWith('  endpoint_'))).toHaveLength(3);
    // caller -> door edges carry the operation; door -> endpoint edges do not
    expect(edges).toContain(`  caller_${mermaidId('appRole Fraud.Score')} -->|"POST /score"| door_${mermaidId('edge fraud.contoso.com fraud/fraud-model')}`);
    expect(edges).toContain(`  door_${mermaidId('edge fraud.contoso.com fraud/fraud-model')} --> endpoint_${mermaidId('fraud/fraud-model')}`);
    expect(edges).toContain(`  caller_${mermaidId('azureml-fe router')} --> door_${mermaidId('mesh azureml/azureml-fe')}`);
    expect(nodes).toContain(`  door_${mermaidId('edge fraud.contoso.com fraud/fraud-model')}(["edge fraud.contoso.com"])`);
    expect(nodes).toContain(`  endpoint_${mermaidId('fraud/fraud-model')}[("fraud/fraud-model")]`);
  });

  test('node ids: letters, digits and _ only, readable, distinct for names that read alike, never the word end, stable as rows come and go', () => {
    const names = ['a-b', 'a_b', 'a b', 'a.b', 'end', '', 'x'.repeat(200), `${'x'.repeat(200)}y`];
    const ids = names.map((n) => mermaidId(n));
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_]+$/);
    expect(new Set(ids).size).toBe(names.length);
    expect(mermaidId('cluster.local/ns/batch/sa/batch-scorer')).toMatch(/^cluster_local_ns_batch_sa_batch_scorer_[0-9a-f]{10}$/);
    expect(mermaidId('end')).not.toBe('end');
    const before = accessMapMermaid(ROWS.slice(0, 3)).split('\n');
    const after = accessMapMermaid(ROWS).split('\n');
    expect(before.filter((l) => !after.includes(l))).toEqual([]);
  });

  test('labels are quoted and escaped with Mermaid entity codes', () => {
    // https://mermaid.js.org/syntax/flowchart.html#entity-codes-to-escape-characters:
    // "It is possible to escape characters using the syntax exemplified here." (A["A double quote:#quot;"])
    expect(mermaidText('say "hi" #1 <b> & `x` a|b\nnext')).toBe('say #quot;hi#quot; #35;1 #lt;b#gt; #amp; #96;x#96; a#124;b next');
    const out = accessMapMermaid([row({ caller: 'roles="x" <y>', paths: ['/a#b'] })]);
    expect(out).toContain('["roles=#quot;x#quot; #lt;y#gt;"]');
    expect(out).toContain('-->|"POST /a#35;b"|');
    // every label is one quoted string: no raw quote inside
    for (const l of out.split('\n').filter((x) => x.includes('"'))) expect(l.match(/"/g)!.length % 2).toBe(0);
  });
});

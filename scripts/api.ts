/**
 * The public API report: API Extractor over the built declarations of each
 * entry point in package.json `exports`, one report per entry in api/.
 *
 *   npm run api          builds, then rewrites api/*.api.md
 *   npm run api:check    builds, then fails if a report would change
 *
 * API Extractor reads one entry point per run. A public signature of one
 * entry may use a type another entry exports (the root's
 * `endpoint.allowCallers` is an `istioSecurity.AuthorizationPolicy` of
 * `cdk8s-azureml-mesh/imports`; the Pulumi component takes root types): such a
 * "forgotten export" is listed in that entry's report, and accepted only if
 * the declaration is exported by one of the entries it may come from. Any
 * other forgotten export (an internal type in a public signature) fails both
 * commands.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Extractor, ExtractorConfig, ExtractorLogLevel, type IConfigFile } from '@microsoft/api-extractor';
import * as ts from 'typescript';

const root = path.resolve(__dirname, '..');
const check = process.argv.includes('--check');

interface Entry {
  /** the subpath in package.json `exports` */
  readonly subpath: string;
  /** the built declaration file */
  readonly dts: string;
  /** api/<report>.api.md */
  readonly report: string;
  /** entries whose exports this entry's signatures may use */
  readonly uses: readonly string[];
}

const ENTRIES: readonly Entry[] = [
  { subpath: '.', dts: 'build/lib/index.d.ts', report: 'cdk8s-azureml-mesh', uses: ['./imports'] },
  { subpath: './pulumi', dts: 'build/lib/pulumi/index.d.ts', report: 'cdk8s-azureml-mesh-pulumi', uses: ['.', './imports'] },
  { subpath: './imports', dts: 'build/lib/imports/index.d.ts', report: 'cdk8s-azureml-mesh-imports', uses: [] },
];

/**
 * Forgotten exports accepted on purpose, per entry, with the reason. Each one
 * stays visible in the report as an `ae-forgotten-export` warning.
 */
const ACCEPTED: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  '.': {
    ProblemCollector: 'ModelPodsFence is built only by SecureMlEndpoint (users read endpoint.modelPodsFences); its props carry the endpoint\'s internal problem collector',
  },
};

const exported = new Map<string, Set<string>>();

/** Every declaration (file + name) an entry point exports, namespace members included. */
function exportedDeclarations(dts: string): Set<string> {
  const known = exported.get(dts);
  if (known) return known;
  const file = path.join(root, dts);
  const program = ts.createProgram([file], { module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16, types: [], skipLibCheck: true, noEmit: true });
  const checker = program.getTypeChecker();
  const out = new Set<string>();
  const visit = (symbol: ts.Symbol): void => {
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    for (const d of target.declarations ?? []) {
      out.add(`${path.relative(root, d.getSourceFile().fileName)}#${target.name}`);
      if (ts.isSourceFile(d)) checker.getExportsOfModule(target).forEach(visit);
    }
  };
  const source = program.getSourceFile(file);
  if (!source) throw new Error(`${dts} is missing: run npm run build`);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  if (moduleSymbol) checker.getExportsOfModule(moduleSymbol).forEach(visit);
  exported.set(dts, out);
  return out;
}

/** The built files that declare a top-level `name` (exported or not). */
function declarationsNamed(name: string): string[] {
  const pattern = new RegExp(`^(export )?(declare )?(abstract )?(class|interface|type|enum|const|function|namespace) ${name}\\b`, 'm');
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const f of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, f.name);
      if (f.isDirectory()) walk(full);
      else if (f.name.endsWith('.d.ts') && pattern.test(fs.readFileSync(full, 'utf8'))) found.push(`${path.relative(root, full)}#${name}`);
    }
  };
  walk(path.join(root, 'build', 'lib'));
  return found;
}

/** The symbols API Extractor listed as forgotten exports in the report it just wrote. */
function forgottenExports(report: string): string[] {
  const text = fs.readFileSync(path.join(root, 'build', 'api', `${report}.api.md`), 'utf8');
  return [...new Set([...text.matchAll(/\(ae-forgotten-export\) The symbol "([^"]+)"/g)].map((m) => m[1]))].sort();
}

function run(entry: Entry): { ok: boolean; changed: boolean; problems: string[] } {
  const configObject: IConfigFile = {
    projectFolder: root,
    mainEntryPointFilePath: path.join(root, entry.dts),
    bundledPackages: [],
    newlineKind: 'lf',
    compiler: {
      overrideTsconfig: {
        compilerOptions: { module: 'node16', moduleResolution: 'node16', target: 'ES2022', lib: ['ES2022'], types: ['node'], strict: true, skipLibCheck: false },
        files: [path.join(root, entry.dts)],
      },
    },
    apiReport: {
      enabled: true,
      reportFileName: entry.report,
      reportFolder: path.join(root, 'api'),
      reportTempFolder: path.join(root, 'build', 'api'),
      includeForgottenExports: false,
    },
    docModel: { enabled: false },
    dtsRollup: { enabled: false },
    tsdocMetadata: { enabled: false },
    messages: {
      compilerMessageReporting: { default: { logLevel: ExtractorLogLevel.Error } },
      extractorMessageReporting: {
        default: { logLevel: ExtractorLogLevel.Error },
        // no release tags (@public, @beta) are used: everything exported is public
        'ae-missing-release-tag': { logLevel: ExtractorLogLevel.None },
        // documentation is checked by review and docs/, not here
        'ae-undocumented': { logLevel: ExtractorLogLevel.None },
        // listed in the report, then checked below
        'ae-forgotten-export': { logLevel: ExtractorLogLevel.Warning, addToApiReportFile: true },
      },
      // the comments are written for editors (`@default`, `@see`, generated `@schema`), not for TSDoc
      tsdocMessageReporting: { default: { logLevel: ExtractorLogLevel.None } },
    },
  };
  const config = ExtractorConfig.prepare({
    configObject,
    configObjectFullPath: path.join(root, 'api', `${entry.report}.json`),
    packageJsonFullPath: path.join(root, 'package.json'),
  });
  const result = Extractor.invoke(config, { localBuild: !check });
  const problems: string[] = [];
  const forgotten = forgottenExports(entry.report).filter((name) => !ACCEPTED[entry.subpath]?.[name]);
  const allowed = new Set<string>();
  for (const subpath of forgotten.length > 0 ? entry.uses : []) {
    const other = ENTRIES.find((e) => e.subpath === subpath);
    if (other) exportedDeclarations(other.dts).forEach((d) => allowed.add(d));
  }
  for (const name of forgotten) {
    const where = declarationsNamed(name);
    if (where.length === 0 || !where.every((d) => allowed.has(d))) {
      const from = entry.uses.map((u) => `"${u}"`).join(' or ') || 'no other entry';
      problems.push(`[${entry.subpath}] ${name} must be exported because a public signature uses it, got a forgotten export declared in ${where.join(', ') || '(not found)'}; export it from "${entry.subpath}" (or from ${from}), or keep it out of public signatures`);
    }
  }
  return { ok: result.errorCount === 0, changed: result.apiReportChanged, problems };
}

let failed = false;
for (const entry of ENTRIES) {
  const { ok, changed, problems } = run(entry);
  for (const p of problems) console.error(`error: ${p}`);
  if (!ok || problems.length > 0) failed = true;
  if (check && changed) {
    console.error(`error: api/${entry.report}.api.md is out of date: the public surface of "${entry.subpath}" changed; run npm run api and commit the report`);
    failed = true;
  } else if (changed) {
    console.log(`api/${entry.report}.api.md updated`);
  }
}
process.exit(failed ? 1 : 0);

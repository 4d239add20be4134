export { DEFAULT_OUTDIR, OUTDIR_CONTEXT, OUTDIR_ENV, meshOutdir } from './artifacts';
export type { SynthOutcome } from './artifacts';
export { DIAGNOSTICS_JSON_FILE, DIAGNOSTICS_SARIF_FILE, FOREIGN_RULE_ID } from './diagnostics';
export type { DiagnosticsReport, DiagnosticsReportEntry } from './diagnostics';
export type { SourceLocation } from './diagnostic';
export { SARIF_SCHEMA_URI } from './sarif';
export type { SarifLog } from './sarif';

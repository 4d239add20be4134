/**
 * Validates SARIF logs against the official SARIF 2.1.0 JSON schema
 * (OASIS, errata 01), vendored byte-identical in schemas/sarif/.
 *
 * The schema is JSON Schema draft-04 (`"id"`, `"$schema": ".../draft-04/schema#"`):
 * it is compiled as it is on disk by ajv-draft-04 (the ajv team's draft-04
 * build of ajv 8). Formats (uri, uri-reference, date-time) come from
 * ajv-formats.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ValidateFunction } from 'ajv';
import Ajv from 'ajv-draft-04';
import addFormats from 'ajv-formats';

export const SARIF_SCHEMA_FILE = path.resolve(__dirname, '..', '..', 'schemas', 'sarif', 'sarif-schema-2.1.0.json');

/** The vendored schema, parsed as it is on disk. */
export function sarifSchema(): Record<string, any> {
  return JSON.parse(fs.readFileSync(SARIF_SCHEMA_FILE, 'utf8'));
}

let compiled: ValidateFunction | undefined;

/** The compiled validator of the vendored schema. */
export function sarifValidator(): ValidateFunction {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv as never);
    compiled = ajv.compile(sarifSchema());
  }
  return compiled;
}

/** Schema errors of a SARIF log (`instancePath message`), empty when it validates. */
export function validateSarif(log: unknown): string[] {
  const validate = sarifValidator();
  return validate(log) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
}

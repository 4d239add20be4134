/**
 * Validates SARIF logs against the official SARIF 2.1.0 JSON schema
 * (OASIS, errata 01), vendored byte-identical in schemas/sarif/.
 *
 * The schema is JSON Schema draft-04 (`"id"`, `"$schema": ".../draft-04/schema#"`),
 * which ajv 8 does not load as such; for the keywords this schema uses (type,
 * properties, additionalProperties, required, enum, items, minItems,
 * uniqueItems, minimum, pattern, format, default, $ref into definitions,
 * anyOf, oneOf) draft-04 and draft-07 mean the same, so it is compiled as
 * draft-07 with its root `id` read as `$id` (checked: no other draft-04-only
 * keyword such as boolean exclusiveMinimum occurs). Formats (uri,
 * uri-reference, date-time) come from ajv-formats.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv, { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

export const SARIF_SCHEMA_FILE = path.resolve(__dirname, '..', '..', 'schemas', 'sarif', 'sarif-schema-2.1.0.json');

/** The vendored schema, parsed as it is on disk. */
export function sarifSchema(): Record<string, any> {
  return JSON.parse(fs.readFileSync(SARIF_SCHEMA_FILE, 'utf8'));
}

/** Keywords whose meaning differs between draft-04 and draft-07, found anywhere in a schema (property names excluded). */
export function draft04OnlyKeywords(schema: unknown): string[] {
  const found = new Set<string>();
  const walk = (node: unknown, underProperties: boolean): void => {
    if (Array.isArray(node)) { node.forEach((n) => walk(n, false)); return; }
    if (!node || typeof node !== 'object') return;
    for (const [k, v] of Object.entries(node)) {
      if (!underProperties) {
        if ((k === 'exclusiveMinimum' || k === 'exclusiveMaximum') && typeof v === 'boolean') found.add(k);
        if (k === 'id' && typeof v === 'string') found.add('id');
      }
      walk(v, !underProperties && (k === 'properties' || k === 'definitions' || k === 'patternProperties'));
    }
  };
  walk(schema, false);
  return [...found].sort();
}

let compiled: ValidateFunction | undefined;

/** The compiled validator of the vendored schema. */
export function sarifValidator(): ValidateFunction {
  if (!compiled) {
    const { $schema: _draft04, id, ...rest } = sarifSchema();
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    compiled = ajv.compile({ $id: id, ...rest });
  }
  return compiled;
}

/** Schema errors of a SARIF log (`instancePath message`), empty when it validates. */
export function validateSarif(log: unknown): string[] {
  const validate = sarifValidator();
  return validate(log) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
}

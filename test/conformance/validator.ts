/**
 * Conformance validator for synthesized manifests (DESIGN.md §4 invariant 11):
 * every object must validate against its official schema — OpenAPI structure
 * with unknown fields rejected, `x-kubernetes-list-type` uniqueness, the CRDs'
 * CEL rules — plus the apiserver's Go rules for names/labels, and Istio's
 * admission-webhook rules for the Istio kinds.
 *
 *   const v = sharedValidator();
 *   expect(v.validateAll(objects)).toEqual([]);
 *
 * Schemas come from the repository's vendored `schemas/` (override with the
 * SCHEMAS_DIR environment variable).
 */
import * as fs from 'fs';
import * as path from 'path';
import type { ErrorObject } from 'ajv';
import { validateCel } from './cel';
import { validateIstio, validateIstioSubsetReferences } from './istio-webhook';
import { validateCoreGo, validateObjectMeta, type Finding } from './k8s-names';
import { applyDefaults, SchemaRegistry, type KindEntry } from './kubernetes-schemas';

export interface Violation {
  /** e.g. "security.istio.io/v1 AuthorizationPolicy ns/name" */
  object: string;
  /** JSON pointer into the object, e.g. "/spec/rules/0/from/0/source/principals/1" */
  path: string;
  rule: 'schema' | 'list-type' | 'cel' | 'istio-webhook' | 'unknown-kind';
  message: string;
}

/** Default location: the repository's vendored `schemas/` (see schemas/SOURCES.tsv). */
export const DEFAULT_SCHEMAS_DIR = path.resolve(__dirname, '../../schemas');

export function resolveSchemasDir(explicit?: string): string {
  return path.resolve(explicit ?? process.env.SCHEMAS_DIR ?? DEFAULT_SCHEMAS_DIR);
}

function describe(obj: any): string {
  const apiVersion = typeof obj?.apiVersion === 'string' ? obj.apiVersion : '<no apiVersion>';
  const kind = typeof obj?.kind === 'string' ? obj.kind : '<no kind>';
  const name = obj?.metadata?.name ?? '<no name>';
  const ns = obj?.metadata?.namespace;
  return `${apiVersion} ${kind} ${ns ? `${ns}/` : ''}${name}`;
}

function ajvMessage(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return `unknown field ${JSON.stringify(p.additionalProperty)}`;
    case 'required':
      return `missing required field ${JSON.stringify(p.missingProperty)}`;
    case 'enum':
      return `${e.message}: ${JSON.stringify(p.allowedValues)}`;
    case 'type':
      return `${e.message} (got ${JSON.stringify(e.data)?.slice(0, 80)})`;
    default:
      return e.message ?? e.keyword;
  }
}

function ajvPath(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  const base = e.instancePath || '';
  if (e.keyword === 'additionalProperties') return `${base}/${String(p.additionalProperty).replace(/~/g, '~0').replace(/\//g, '~1')}`;
  if (e.keyword === 'required') return `${base}/${String(p.missingProperty)}`;
  if (e.keyword === 'x-kubernetes-list-type' && typeof p.duplicateIndex === 'number') return `${base}/${p.duplicateIndex}`;
  return base || '/';
}

export class ConformanceValidator {
  private constructor(private readonly registry: SchemaRegistry) {}

  /**
   * Loads every schema family from `schemasDir` (default: SCHEMAS_DIR or
   * the repository's schemas/). Validators compile lazily.
   */
  static load(schemasDir?: string): ConformanceValidator {
    const dir = resolveSchemasDir(schemasDir);
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
      throw new Error(
        `Conformance schemas not found: expected the directory ${dir}. ` +
          `the repository vendors them at ${DEFAULT_SCHEMAS_DIR} (scripts/schemas.ts --check), or SCHEMAS_DIR must point at them.`,
      );
    }
    return new ConformanceValidator(SchemaRegistry.load(dir));
  }

  get schemas(): SchemaRegistry {
    return this.registry;
  }

  validate(obj: any): Violation[] {
    const object = describe(obj);
    const out: Violation[] = [];
    const push = (rule: Violation['rule'], findings: Finding[]) => findings.forEach((f) => out.push({ object, rule, path: f.path, message: f.message }));

    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) {
      return [{ object, path: '/', rule: 'unknown-kind', message: 'not a Kubernetes object (expected a mapping with apiVersion and kind)' }];
    }
    const entry = typeof obj.apiVersion === 'string' && typeof obj.kind === 'string' ? this.registry.lookup(obj.apiVersion, obj.kind) : undefined;
    if (!entry) {
      return [
        {
          object,
          path: '/',
          rule: 'unknown-kind',
          message: `no schema for apiVersion ${JSON.stringify(obj.apiVersion)} kind ${JSON.stringify(obj.kind)} (not a served version of a known CRD, nor a Kubernetes built-in kind)`,
        },
      ];
    }

    // The apiserver applies structural defaults before validating CRs.
    const value = entry.structural ? structuredClone(obj) : obj;
    if (entry.structural) applyDefaults(entry.structural, value);

    const validate = this.registry.validator(entry);
    let typeErrors = false;
    if (!validate(value)) {
      for (const e of validate.errors ?? []) {
        typeErrors ||= e.keyword === 'type';
        out.push({ object, path: ajvPath(e), rule: e.keyword === 'x-kubernetes-list-type' ? 'list-type' : 'schema', message: ajvMessage(e) });
      }
    }

    // The semantic phases below assume roughly schema-shaped input. Should one
    // of them trip over a malformed value, that is only acceptable when the
    // schema already rejected the object; otherwise it is reported, not hidden.
    const schemaFailed = out.length > 0;
    const guarded = (rule: Violation['rule'], phase: () => Finding[]) => {
      try {
        push(rule, phase());
      } catch (e) {
        if (!schemaFailed) out.push({ object, rule, path: '/', message: `validator could not evaluate this object: ${(e as Error).message}` });
      }
    };
    guarded('schema', () => {
      const meta: Finding[] = [];
      validateObjectMeta(value.metadata, { group: entry.group, kind: entry.kind, namespaced: entry.scope === 'Namespaced' }, meta);
      if (entry.family === 'kubernetes') meta.push(...validateCoreGo(value, entry.group, entry.kind));
      return meta;
    });
    // Like the apiserver (customresource strategy, hasBlockingErr), CEL rules are not
    // evaluated over values with type errors.
    if (entry.structural && typeErrors) {
      out.push({ object, rule: 'cel', path: '/', message: 'some validation rules were not checked because the object was invalid; correct the existing errors to complete validation' });
    } else if (entry.structural) guarded('cel', () => validateCel(entry.structural!, value));
    guarded('istio-webhook', () => validateIstio(value, entry.group, entry.kind));
    return out;
  }

  /** Validates each object, plus cross-object Istio references (VirtualService subsets). */
  validateAll(objs: any[]): Violation[] {
    const out = objs.flatMap((o) => this.validate(o));
    for (const { index, finding } of validateIstioSubsetReferences(objs)) {
      out.push({ object: describe(objs[index]), rule: 'istio-webhook', path: finding.path, message: finding.message });
    }
    return out;
  }

  /** The kind entry (schema family, scope, ...) used for an object, if any. */
  lookup(apiVersion: string, kind: string): KindEntry | undefined {
    return this.registry.lookup(apiVersion, kind);
  }
}

export function formatViolations(v: Violation[]): string {
  if (v.length === 0) return 'no violations';
  const byObject = new Map<string, Violation[]>();
  for (const x of v) byObject.set(x.object, [...(byObject.get(x.object) ?? []), x]);
  const lines = [`${v.length} conformance violation(s):`];
  for (const [object, list] of byObject) {
    lines.push(`  ${object}`);
    for (const x of list) lines.push(`    [${x.rule}] ${x.path}: ${x.message}`);
  }
  return lines.join('\n');
}

let shared: ConformanceValidator | undefined;

/** Process-wide validator (schemas parsed and compiled once per jest worker). */
export function sharedValidator(): ConformanceValidator {
  shared ??= ConformanceValidator.load();
  return shared;
}

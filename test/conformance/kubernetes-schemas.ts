/**
 * Loads the upstream schemas from `shared/schemas` (see its README) and turns
 * them into ajv validators, keyed by apiVersion + kind:
 *
 * - CRDs (Istio, Gateway API, NGINX, Azure Service Operator, Secrets Store
 *   CSI): every served version's `openAPIV3Schema`, with `metadata` pointing
 *   at the Kubernetes ObjectMeta definition;
 * - Kubernetes built-in kinds: `kubernetes/swagger.json` definitions found via
 *   `x-kubernetes-group-version-kind`, with IntOrString and Quantity replaced
 *   by `anyOf` number|string (swagger declares both as plain strings).
 *
 * Unknown fields are rejected: `additionalProperties: false` is injected into
 * every object schema that has `properties` and neither `additionalProperties`
 * nor `x-kubernetes-preserve-unknown-fields: true` (on a deep copy).
 * `x-kubernetes-list-type: set|map` is checked by a custom keyword. Patterns
 * are compiled as RE2 (Go) regular expressions, like the apiserver does.
 * Validators are compiled lazily, once per apiVersion/kind per process.
 */
import * as fs from 'fs';
import * as path from 'path';
import Ajv, { type AnySchema, type AnySchemaObject, type ErrorObject, type SchemaValidateFunction, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import * as YAML from 'yaml';
import type { JsonSchema } from './cel';
import { compileRe2 } from './k8s-cel-lib';

export const SWAGGER_ID = 'https://kubernetes.io/swagger.json';
export const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

export const CRD_FAMILIES = ['istio', 'gateway-api', 'nginx-ingress', 'nginx-gateway-fabric', 'gateway-api-inference-extension', 'azure-service-operator', 'secrets-store-csi'] as const;
export type Family = (typeof CRD_FAMILIES)[number] | 'kubernetes';

export interface KindEntry {
  apiVersion: string;
  group: string;
  version: string;
  kind: string;
  family: Family;
  scope: 'Namespaced' | 'Cluster';
  /** The upstream structural schema (CRDs; used for defaulting and CEL). Undefined for core kinds. */
  structural?: JsonSchema;
  /** Schema handed to ajv. */
  ajvSchema: AnySchema;
  validate?: ValidateFunction;
}

const VOCABULARY = [
  'x-kubernetes-validations',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-int-or-string',
  'x-kubernetes-map-type',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-group-version-kind',
  'x-kubernetes-patch-merge-key',
  'x-kubernetes-patch-strategy',
  'x-kubernetes-unions',
  'x-kubernetes-selectable-fields',
  'x-kubernetes-action',
  'x-kubernetes-list-type',
];

function deepCopy<T>(v: T): T {
  return structuredClone(v);
}

/**
 * Injects `additionalProperties: false` into object schemas along the
 * structural paths (properties, items, additionalProperties). Junctors
 * (allOf/anyOf/oneOf/not) are left untouched: in structural schemas they
 * only restate constraints of properties declared outside them.
 */
export function rejectUnknownFields(node: JsonSchema | undefined): void {
  if (!node || typeof node !== 'object' || Array.isArray(node)) return;
  if (node.properties && typeof node.properties === 'object') {
    for (const v of Object.values(node.properties)) rejectUnknownFields(v as JsonSchema);
    if (node.additionalProperties === undefined && node['x-kubernetes-preserve-unknown-fields'] !== true) {
      node.additionalProperties = false;
    }
  }
  if (node.items) rejectUnknownFields(node.items);
  if (node.additionalProperties && typeof node.additionalProperties === 'object') rejectUnknownFields(node.additionalProperties);
}

/** Applies structural-schema defaults (like the apiserver does before validation). Mutates `value`. */
export function applyDefaults(schema: JsonSchema | undefined, value: unknown): void {
  if (!schema || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    if (schema.items) for (const v of value) applyDefaults(schema.items, v);
    return;
  }
  const obj = value as Record<string, unknown>;
  const props: Record<string, JsonSchema> | undefined = schema.properties;
  if (props) {
    for (const [k, s] of Object.entries(props)) {
      if (obj[k] === undefined && s.default !== undefined) obj[k] = deepCopy(s.default);
    }
  }
  for (const [k, v] of Object.entries(obj)) {
    if (props && k in props) applyDefaults(props[k], v);
    else if (schema.additionalProperties && typeof schema.additionalProperties === 'object') applyDefaults(schema.additionalProperties, v);
  }
}

/** Ajv custom keyword: `x-kubernetes-list-type` set / map uniqueness. */
function listTypeKeyword(): SchemaValidateFunction {
  const fn: SchemaValidateFunction = (listType: unknown, data: unknown, parentSchema?: AnySchemaObject) => {
    if (!Array.isArray(data) || (listType !== 'set' && listType !== 'map')) return true;
    const keys: string[] = listType === 'map' ? ((parentSchema as JsonSchema)?.['x-kubernetes-list-map-keys'] ?? []) : [];
    const seen = new Map<string, number>();
    const errors: Partial<ErrorObject>[] = [];
    data.forEach((item, i) => {
      const id =
        listType === 'set'
          ? JSON.stringify(item)
          : JSON.stringify(keys.map((k) => (item && typeof item === 'object' ? (item as Record<string, unknown>)[k] : undefined) ?? null));
      const first = seen.get(id);
      if (first === undefined) seen.set(id, i);
      else {
        errors.push({
          keyword: 'x-kubernetes-list-type',
          params: { listType, duplicateIndex: i, firstIndex: first, keys },
          message:
            listType === 'set'
              ? `duplicate entry ${JSON.stringify(item)} at index ${i} (first at ${first}) in a list-type=set`
              : `duplicate entry at index ${i} (first at ${first}) for list-map-keys [${keys.join(', ')}] = ${id}`,
        });
      }
    });
    fn.errors = errors;
    return errors.length === 0;
  };
  return fn;
}

/** Ajv RegExp engine backed by RE2 (Go semantics, `(?i)` etc. supported). */
function re2Engine() {
  const engine = (pattern: string) => {
    const re = compileRe2(pattern);
    // ajv caches compiled patterns by `toString()`, so it must be unique per pattern.
    return { test: (s: string) => re.test(s), toString: () => `re2:${pattern}` };
  };
  engine.code = 're2';
  return engine;
}

function makeAjv(): Ajv {
  const ajv = new Ajv({
    strict: true,
    strictRequired: false,
    strictTypes: false,
    strictTuples: false,
    allErrors: true,
    verbose: true,
    validateSchema: false,
    code: { regExp: re2Engine() },
  });
  addFormats(ajv);
  ajv.addVocabulary(VOCABULARY.filter((k) => k !== 'x-kubernetes-list-type'));
  ajv.addKeyword({
    keyword: 'x-kubernetes-list-type',
    schemaType: 'string',
    type: 'array',
    errors: true,
    validate: listTypeKeyword(),
  });
  return ajv;
}

function prepareSwagger(definitions: Record<string, JsonSchema>): Record<string, JsonSchema> {
  const defs = deepCopy(definitions);
  defs['io.k8s.apimachinery.pkg.util.intstr.IntOrString'] = {
    description: 'IntOrString (rewritten: integer or string)',
    anyOf: [{ type: 'integer' }, { type: 'string' }],
  };
  defs['io.k8s.apimachinery.pkg.api.resource.Quantity'] = {
    description: 'Quantity (rewritten: number or string)',
    anyOf: [{ type: 'number' }, { type: 'string' }],
  };
  const fixFormats = (n: unknown): void => {
    if (Array.isArray(n)) return n.forEach(fixFormats);
    if (!n || typeof n !== 'object') return;
    const o = n as JsonSchema;
    if (o.format === 'int-or-string') {
      delete o.format;
      delete o.type;
      o.anyOf = [{ type: 'integer' }, { type: 'string' }];
    }
    for (const [k, v] of Object.entries(o)) if (k !== 'x-kubernetes-group-version-kind') fixFormats(v);
  };
  for (const d of Object.values(defs)) {
    fixFormats(d);
    rejectUnknownFields(d);
  }
  return defs;
}

export class SchemaRegistry {
  private readonly ajv = makeAjv();
  private readonly kinds = new Map<string, KindEntry>();
  /** Raw CRD documents by family (for the compile-every-rule test). */
  readonly crds = new Map<Family, JsonSchema[]>();

  private constructor(readonly dir: string) {}

  static load(dir: string): SchemaRegistry {
    const reg = new SchemaRegistry(dir);
    for (const family of CRD_FAMILIES) reg.loadCrdFamily(family);
    reg.loadSwagger();
    return reg;
  }

  private loadCrdFamily(family: Family): void {
    const folder = path.join(this.dir, family);
    if (!fs.existsSync(folder)) throw new Error(`schema folder ${folder} is missing`);
    const docs: JsonSchema[] = [];
    for (const file of fs.readdirSync(folder).filter((f) => /\.ya?ml$/.test(f)).sort()) {
      for (const doc of YAML.parseAllDocuments(fs.readFileSync(path.join(folder, file), 'utf8'))) {
        const crd = doc.toJS({ maxAliasCount: -1 }) as JsonSchema | null;
        if (!crd || crd.kind !== 'CustomResourceDefinition') continue;
        docs.push(crd);
        const { group, names, scope } = crd.spec;
        for (const v of crd.spec.versions as JsonSchema[]) {
          if (!v.served || !v.schema?.openAPIV3Schema) continue;
          const structural = v.schema.openAPIV3Schema as JsonSchema;
          const ajvSchema = deepCopy(structural);
          // apiVersion/kind/metadata are implicit at the root of every CRD schema.
          ajvSchema.properties = {
            apiVersion: { type: 'string' },
            kind: { type: 'string' },
            ...(ajvSchema.properties ?? {}),
            metadata: { $ref: `${SWAGGER_ID}#/definitions/${OBJECT_META}` },
          };
          rejectUnknownFields(ajvSchema);
          const apiVersion = `${group}/${v.name}`;
          this.kinds.set(`${apiVersion}/${names.kind}`, {
            apiVersion,
            group,
            version: v.name,
            kind: names.kind,
            family,
            scope,
            structural,
            ajvSchema,
          });
        }
      }
    }
    this.crds.set(family, docs);
  }

  private loadSwagger(): void {
    const file = path.join(this.dir, 'kubernetes', 'swagger.json');
    const swagger = JSON.parse(fs.readFileSync(file, 'utf8')) as { definitions: Record<string, JsonSchema> };
    const definitions = prepareSwagger(swagger.definitions);
    this.ajv.addSchema({ $id: SWAGGER_ID, definitions });
    for (const [name, def] of Object.entries(swagger.definitions)) {
      const gvks = def['x-kubernetes-group-version-kind'] as Array<{ group: string; version: string; kind: string }> | undefined;
      // Skip the shared option/event types (DeleteOptions, WatchEvent, ...) that list dozens of GVKs.
      if (!gvks || gvks.length !== 1) continue;
      const { group, version, kind } = gvks[0];
      const apiVersion = group ? `${group}/${version}` : version;
      const key = `${apiVersion}/${kind}`;
      if (this.kinds.has(key)) continue;
      const namespaced = !!def.properties?.metadata && !CLUSTER_SCOPED_CORE.has(kind);
      this.kinds.set(key, {
        apiVersion,
        group,
        version,
        kind,
        family: 'kubernetes',
        scope: namespaced ? 'Namespaced' : 'Cluster',
        ajvSchema: { $ref: `${SWAGGER_ID}#/definitions/${name}` },
      });
    }
  }

  lookup(apiVersion: string, kind: string): KindEntry | undefined {
    return this.kinds.get(`${apiVersion}/${kind}`);
  }

  /** Compiled ajv validator for a kind (compiled once, on first use). */
  validator(entry: KindEntry): ValidateFunction {
    if (!entry.validate) entry.validate = this.ajv.compile(entry.ajvSchema);
    return entry.validate;
  }

  /** Validator for an arbitrary swagger definition (e.g. ObjectMeta of pod templates). */
  definition(name: string): ValidateFunction {
    const id = `${SWAGGER_ID}#/definitions/${name}`;
    return this.ajv.getSchema(id) ?? this.ajv.compile({ $ref: id });
  }

  allKinds(): KindEntry[] {
    return [...this.kinds.values()];
  }
}

/** Built-in kinds that are cluster-scoped (used for the namespace check only). */
const CLUSTER_SCOPED_CORE = new Set([
  'Namespace',
  'Node',
  'PersistentVolume',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'StorageClass',
  'PriorityClass',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'APIService',
  'IngressClass',
  'RuntimeClass',
  'CSIDriver',
  'CSINode',
  'VolumeAttachment',
  'CertificateSigningRequest',
  'FlowSchema',
  'PriorityLevelConfiguration',
]);

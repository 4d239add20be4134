/**
 * Properties over random valid declarations (fast-check, fixed seed):
 * every DESIGN.md section 4 invariant holds, every object conforms to the
 * official schemas, re-synthesis is byte-identical, and shuffling the order
 * of endpoints, callers, bindings and grants changes no byte of any file.
 *
 * PROPERTY_RUNS (default 12) and PROPERTY_SEED (default 20261123) tune it.
 */
import { App, Testing } from 'cdk8s';
import * as fc from 'fast-check';
import { parseAllDocuments } from 'yaml';
import { AzurePlan } from '../../lib';
import { formatViolations, sharedValidator } from '../conformance/validator';
import { checkInvariants, checkLeastPrivilege, narrowRoleAssignments } from '../invariants';
import { Manifest } from '../util';
import { AppSpec, Orders, appSpecArb, buildSpec, orderArb } from './arbitraries';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 12);
const SEED = Number(process.env.PROPERTY_SEED ?? 20261123);

/** Every file the app would write: chart name → YAML, plus the plan. */
function files(spec: AppSpec, orders: Orders = {}): Record<string, string> {
  const app: App = Testing.app();
  buildSpec(app, spec, orders);
  const yaml = app.synthYaml(); // validates the whole app once
  void yaml;
  const out: Record<string, string> = {};
  for (const chart of app.charts) out[`${chart.node.id}.k8s.yaml`] = JSON.stringify(chart.toJson());
  out['azure-plan.json'] = JSON.stringify(AzurePlan.of(app).toJson());
  return out;
}

function manifests(spec: AppSpec): Manifest[] {
  const app = Testing.app();
  buildSpec(app, spec);
  const ms = parseAllDocuments(app.synthYaml()).map((d) => d.toJS() as Manifest).filter(Boolean);
  // invariant 7: every assignment at a managed online endpoint the declaration named
  const declared = (scope: string) => /\/workspaces\/ws-prop\/onlineEndpoints\/scoring-\d+$/.test(scope);
  const plan = AzurePlan.of(app).toJson();
  expect(narrowRoleAssignments(plan, declared)).toEqual([]);
  // invariant 13: a role only where Azure enforces it; in-cluster grants are mesh-only
  expect(checkLeastPrivilege(plan, ms, { keyVaultSecretScopeOnly: true })).toEqual([]);
  expect(plan.meshOnlyGrants.length).toBe(spec.bindings.reduce((n, b) => n + new Set(b.grants).size, 0));
  return ms;
}

describe('properties of valid declarations', () => {
  test('invariants 1-11 hold and every object conforms to the official schemas', () => {
    fc.assert(fc.property(appSpecArb(), (spec) => {
      const ms = manifests(spec);
      expect(checkInvariants(ms)).toEqual([]);
      const violations = sharedValidator().validateAll(ms);
      expect(violations.length ? formatViolations(violations) : '').toBe('');
    }), { numRuns: RUNS, seed: SEED });
  });

  test('re-synthesis is byte-identical', () => {
    fc.assert(fc.property(appSpecArb(8), (spec) => {
      expect(files(spec)).toEqual(files(spec));
    }), { numRuns: RUNS, seed: SEED + 1 });
  });

  test('shuffling the declaration order of endpoints, callers, bindings and grants changes no byte', () => {
    const arb = appSpecArb(8).chain((spec) => fc.tuple(fc.constant(spec), orderArb(spec.endpoints.length), orderArb(spec.bindings.length)));
    fc.assert(fc.property(arb, ([spec, endpoints, bindings]) => {
      expect(files(spec, { endpoints, bindings, callers: true })).toEqual(files(spec));
    }), { numRuns: RUNS, seed: SEED + 2 });
  });
});

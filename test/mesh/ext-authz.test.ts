/**
 * Security review finding 3: external authorization providers are recorded
 * per app by name; a second registration of a name with other settings is
 * an error of its registrant (naming the first), never a silent replacement.
 */
import { Chart, Testing } from 'cdk8s';
import { extAuthzExtensionProviders, oauth2ProxyExtAuthzProvider } from '../../lib';
import { registerExtAuthzProvider } from '../../lib/mesh/ext-authz';

const provider = (service: string) => oauth2ProxyExtAuthzProvider({ name: 'sign-in', service, port: 4180 });

describe('registerExtAuthzProvider', () => {
  test('one registration: no problem, and the provider is listed', () => {
    const app = Testing.app();
    const check = registerExtAuthzProvider(new Chart(app, 'a'), provider('one.a.svc.cluster.local'));
    expect(check()).toEqual([]);
    expect(extAuthzExtensionProviders(app)).toEqual([provider('one.a.svc.cluster.local')]);
  });

  test('the same settings twice: no problem (idempotent), listed once', () => {
    const app = Testing.app();
    const a = registerExtAuthzProvider(new Chart(app, 'a'), provider('one.a.svc.cluster.local'));
    const b = registerExtAuthzProvider(new Chart(app, 'b'), provider('one.a.svc.cluster.local'));
    expect([...a(), ...b()]).toEqual([]);
    expect(extAuthzExtensionProviders(app)).toHaveLength(1);
  });

  test('one name with other settings: an error of the later registrant naming the first, the first keeps the name', () => {
    const app = Testing.app();
    const a = registerExtAuthzProvider(new Chart(app, 'a'), provider('one.a.svc.cluster.local'));
    const b = registerExtAuthzProvider(new Chart(app, 'b'), provider('two.b.svc.cluster.local'));
    expect(a()).toEqual([]);
    expect(b().map((p) => p.message)).toEqual([
      'edge.browserSignIn must be an external authorization provider that no other endpoint registers with other settings (a registers "sign-in" for one.a.svc.cluster.local:4180), '
      + 'got "sign-in for two.b.svc.cluster.local:4180"; the mesh config keeps one provider per name, so one endpoint\'s gateway would send its users\' session cookies '
      + 'to the other endpoint\'s oauth2-proxy; put the endpoints\' Services in different namespaces or give them different names',
    ]);
    // before the check, the later registration silently replaced the earlier one
    expect(extAuthzExtensionProviders(app)).toEqual([provider('one.a.svc.cluster.local')]);
  });

  test('the first is the first by construct path, whatever the declaration order', () => {
    const app = Testing.app();
    const b = registerExtAuthzProvider(new Chart(app, 'b'), provider('two.b.svc.cluster.local'));
    const a = registerExtAuthzProvider(new Chart(app, 'a'), provider('one.a.svc.cluster.local'));
    expect(a()).toEqual([]);
    expect(b()).toHaveLength(1);
    expect(extAuthzExtensionProviders(app)).toEqual([provider('one.a.svc.cluster.local')]);
  });

  test('registrations are per app', () => {
    const one = Testing.app();
    const two = Testing.app();
    registerExtAuthzProvider(new Chart(one, 'a'), provider('one.a.svc.cluster.local'));
    const other = registerExtAuthzProvider(new Chart(two, 'b'), provider('two.b.svc.cluster.local'));
    expect(other()).toEqual([]);
    expect(extAuthzExtensionProviders(two)).toEqual([provider('two.b.svc.cluster.local')]);
  });
});

// meshgen: the Envoy configuration that Istio's own control-plane code builds
// for a few proxies of one synthesized app (the runtime-cost benchmark of
// `npm run bench:mesh`; see bench/MESH.md).
//
//	meshgen -manifests DIR -proxies proxies.json [-out result.json]
//
// DIR holds the app's manifests (*.yaml, *.yml, *.json: any number of
// documents). The Istio configs are fed to Istio's in-memory config store;
// Namespaces, Services, Pods, Endpoints/EndpointSlices and ServiceAccounts to
// a fake Kubernetes API server watched by Istio's Kubernetes service registry
// (pilot/pkg/serviceregistry/kube/controller). What the manifests lack is
// generated: a Namespace for every namespace used, a ClusterIP for a Service
// without one, a ready Pod for each proxy and for every Service no pod
// selects, and one EndpointSlice per Service. The config generator is
// core.NewConfigGenTest (pilot/pkg/networking/core/fake.go), the helper
// Istio's own tests and benchmarks use, wired like pilot/test/xds's
// FakeDiscoveryServer (which cannot be built here) wires it: a Kubernetes
// registry in cluster "Kubernetes", domain cluster.local, the default mesh
// config. For each proxy it builds CDS (ConfigGen.BuildClusters), LDS
// (BuildListeners) and the RDS route configurations the listeners name
// (BuildHTTPRoutes) and reports counts and sizes. Sizes are proto.Size: the
// binary protobuf wire size of each generated resource, what istiod sends
// (before the Any wrapper). RBAC bytes are the serialized typed configs of
// every envoy.filters.http.rbac and envoy.filters.network.rbac filter in
// every filter chain of every listener (default filter chains included).
//
// Output is deterministic: fixed creation timestamps, generated names and
// IPs derived from sorted input, resources sorted by name before reporting.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"

	"istio.io/istio/pilot/pkg/config/kube/crd"
	"istio.io/istio/pilot/pkg/model"
	"istio.io/istio/pilot/pkg/networking/core"
	"istio.io/istio/pilot/pkg/serviceregistry"
	kubecontroller "istio.io/istio/pilot/pkg/serviceregistry/kube/controller"
	"istio.io/istio/pkg/config"
	"istio.io/istio/pkg/config/constants"
	"istio.io/istio/pkg/config/mesh"
	"istio.io/istio/pkg/config/mesh/meshwatcher"
	kubelib "istio.io/istio/pkg/kube"
	istiolog "istio.io/istio/pkg/log"
	"istio.io/istio/pkg/spiffe"
	"istio.io/istio/pkg/util/protomarshal"
	"istio.io/istio/pkg/wellknown"
	"sigs.k8s.io/yaml"
)

// ProxySpec is one proxy to build, as bench/mesh.ts describes it.
type ProxySpec struct {
	// Name of the proxy in the report (and of its generated Pod).
	Name      string            `json:"name"`
	Namespace string            `json:"namespace"`
	Labels    map[string]string `json:"labels"`
	// ServiceAccount of the pod (its mesh identity).
	ServiceAccount string `json:"serviceAccount"`
	// Type: sidecar or router.
	Type string `json:"type"`
	IP   string `json:"ip"`
}

// Part is one xDS type's count and bytes.
type Part struct {
	Count int `json:"count"`
	Bytes int `json:"bytes"`
}

// RouteParts: the RDS route configurations the listeners name.
type RouteParts struct {
	Configs      int `json:"configs"`
	VirtualHosts int `json:"virtualHosts"`
	Routes       int `json:"routes"`
	Bytes        int `json:"bytes"`
}

// ProxyResult is the report of one proxy.
type ProxyResult struct {
	Name      string     `json:"name"`
	Type      string     `json:"type"`
	Namespace string     `json:"namespace"`
	Clusters  Part       `json:"clusters"`
	Listeners Part       `json:"listeners"`
	Routes    RouteParts `json:"routes"`
	// FilterChains over all listeners (default filter chains included).
	FilterChains int `json:"filterChains"`
	// TotalBytes = clusters + listeners + routes bytes.
	TotalBytes int `json:"totalBytes"`
	// RBACBytes: serialized envoy.filters.{http,network}.rbac typed configs.
	RBACBytes   int `json:"rbacBytes"`
	RBACFilters int `json:"rbacFilters"`
	// ServiceTargets the proxy was found to serve (inbound).
	ServiceTargets int `json:"serviceTargets"`
	// Gateways merged for a router.
	GatewayServers int `json:"gatewayServers"`
}

// Result is the whole output.
type Result struct {
	IstioVersion string         `json:"istio"`
	SizeUnit     string         `json:"sizeUnit"`
	IstioConfigs map[string]int `json:"istioConfigs"`
	KubeObjects  map[string]int `json:"kubeObjects"`
	Generated    map[string]int `json:"generated"`
	Ignored      map[string]int `json:"ignored"`
	Proxies      []ProxyResult  `json:"proxies"`
}

const (
	clusterID    = constants.DefaultClusterName // "Kubernetes", as FakeDiscoveryServer
	domainSuffix = "cluster.local"
	trustDomain  = "cluster.local"
	// the proxies' version (the harness's Istio line)
	proxyVersion = "1.30.0"
)

// a fixed timestamp: Istio orders configs by creation time, then name
var creation = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func main() {
	manifests := flag.String("manifests", "", "directory of the app's manifests")
	proxiesFile := flag.String("proxies", "", "JSON file: the proxies to build")
	out := flag.String("out", "", "write the JSON result here (default stdout)")
	verbose := flag.Bool("v", false, "keep Istio's logs")
	flag.StringVar(&dumpDir, "dump", "", "also write each proxy's clusters, listeners and routes as JSON (protojson) to this directory")
	flag.Parse()
	if *manifests == "" || *proxiesFile == "" {
		flag.Usage()
		os.Exit(2)
	}
	if !*verbose {
		for _, s := range istiolog.Scopes() {
			s.SetOutputLevel(istiolog.NoneLevel)
		}
	}
	t := newFailer()
	defer t.done()
	stopJwks := offlineJwks()
	defer stopJwks()
	res, err := run(t, *manifests, *proxiesFile)
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	data = append(data, '\n')
	if *out == "" {
		_, _ = os.Stdout.Write(data)
	} else if err := os.WriteFile(*out, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func istioModuleVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "istio.io/istio" {
				return d.Path + "@" + d.Version
			}
		}
	}
	return "istio.io/istio (unknown version)"
}

func run(t *failer, dir, proxiesFile string) (*Result, error) {
	var proxies []ProxySpec
	raw, err := os.ReadFile(proxiesFile)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(raw, &proxies); err != nil {
		return nil, fmt.Errorf("%s: %v", proxiesFile, err)
	}
	in, err := readManifests(dir)
	if err != nil {
		return nil, err
	}
	res := &Result{
		IstioVersion: istioModuleVersion(),
		SizeUnit:     "proto.Size (binary protobuf wire bytes) of each generated Cluster, Listener and RouteConfiguration",
		IstioConfigs: map[string]int{},
		KubeObjects:  map[string]int{},
		Generated:    map[string]int{},
		Ignored:      in.ignored,
	}
	for _, c := range in.configs {
		res.IstioConfigs[c.GroupVersionKind.Kind]++
	}
	objects := completeCluster(in, proxies, res.Generated)
	for _, o := range objects {
		res.KubeObjects[fmt.Sprintf("%T", o)[len("*v1."):]]++
	}

	cg := newConfigGen(t, in.configs, objects)
	for _, spec := range proxies {
		pr, err := buildProxy(cg, spec)
		if err != nil {
			return nil, err
		}
		res.Proxies = append(res.Proxies, pr)
	}
	return res, nil
}

var dumpDir string

// dump writes one proxy's resources as protojson, one file per xDS type.
func dump(name string, clusters []*cluster.Cluster, listeners []*listener.Listener, routes []*route.RouteConfiguration) error {
	if err := os.MkdirAll(dumpDir, 0o755); err != nil {
		return err
	}
	write := func(kind string, msgs []proto.Message) error {
		var b strings.Builder
		b.WriteString("[\n")
		for i, m := range msgs {
			j, err := protomarshal.ToJSONWithIndent(m, "  ")
			if err != nil {
				return err
			}
			b.WriteString(j)
			if i < len(msgs)-1 {
				b.WriteString(",")
			}
			b.WriteString("\n")
		}
		b.WriteString("]\n")
		return os.WriteFile(filepath.Join(dumpDir, name+"."+kind+".json"), []byte(b.String()), 0o644)
	}
	if err := write("clusters", asMessages(clusters)); err != nil {
		return err
	}
	if err := write("listeners", asMessages(listeners)); err != nil {
		return err
	}
	return write("routes", asMessages(routes))
}

func asMessages[T proto.Message](xs []T) []proto.Message {
	out := make([]proto.Message, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

// lazyUpdater forwards to the Environment's endpoint index once it exists
// (the Kubernetes registry needs an updater before the Environment is made).
type lazyUpdater struct{ model.XDSUpdater }

func newConfigGen(t *failer, configs []config.Config, objects []runtime.Object) *core.ConfigGenTest {
	m := mesh.DefaultMeshConfig()
	upd := &lazyUpdater{}
	client := kubelib.NewFakeClient(objects...)
	k8s, _ := kubecontroller.NewFakeControllerWithOptions(t, kubecontroller.FakeControllerOptions{
		Client:        client,
		ClusterID:     clusterID,
		DomainSuffix:  domainSuffix,
		XDSUpdater:    upd,
		SkipRun:       true,
		ConfigCluster: true,
		MeshWatcher:   meshwatcher.NewTestWatcher(m),
	})
	cg := core.NewConfigGenTest(t, core.TestOptions{
		Configs:           configs,
		MeshConfig:        m,
		XDSUpdater:        upd,
		ServiceRegistries: []serviceregistry.Instance{k8s},
		SkipRun:           true,
		ClusterID:         clusterID,
	})
	env := cg.Env()
	upd.XDSUpdater = model.NewEndpointIndexUpdater(env.EndpointIndex)
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	client.RunAndWait(stop)
	// as FakeDiscoveryServer: Kubernetes workloads are visible to the ServiceEntry registry and back
	cg.ServiceEntryRegistry.AppendWorkloadHandler(k8s.WorkloadInstanceHandler)
	k8s.AppendWorkloadHandler(cg.ServiceEntryRegistry.WorkloadInstanceHandler)
	cg.Run() // creates the configs, runs the registries, waits until they have synced
	kubelib.WaitForCacheSync("meshgen", stop, cg.Registry.HasSynced, cg.Store().HasSynced)
	cg.ServiceEntryRegistry.ResyncEDS()
	if err := env.InitNetworksManager(upd); err != nil {
		t.Fatal(err)
	}
	push := env.PushContext()
	// as DiscoveryServer.initJwksResolver and initPushContext do
	push.JwtKeyResolver = model.NewJwksResolver(model.JwtPubKeyEvictionDuration, model.JwtPubKeyRefreshInterval,
		model.JwtPubKeyRefreshIntervalOnFailure, model.JwtPubKeyRetryInterval)
	push.InitContext(env, nil, nil)
	return cg
}

// offlineJwks keeps istiod's JWKS fetch (the default fetch mode,
// PILOT_JWT_ENABLE_REMOTE_JWKS=false: istiod fetches each jwksUri and inlines
// the keys in the proxy's jwt_authn filter) off the network and deterministic:
// model.JwksResolver's HTTP clients use http.ProxyFromEnvironment, so HTTP(S)
// proxy variables pointing at an in-process server that refuses every request
// make each fetch fail at once, and JwksResolver.BuildLocalJwks inlines Istio's
// fail-closed model.PublicOnlyJwks instead of the issuer's key set. It must run
// before the first request (ProxyFromEnvironment reads the environment once).
func offlineJwks() func() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "meshgen: no network", http.StatusForbidden)
	}))
	for _, k := range []string{"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"} {
		_ = os.Setenv(k, srv.URL)
	}
	for _, k := range []string{"NO_PROXY", "no_proxy"} {
		_ = os.Unsetenv(k)
	}
	return srv.Close
}

func buildProxy(cg *core.ConfigGenTest, spec ProxySpec) (ProxyResult, error) {
	typ := model.SidecarProxy
	switch spec.Type {
	case "sidecar", "":
	case "router":
		typ = model.Router
	default:
		return ProxyResult{}, fmt.Errorf("proxy %s: unknown type %q (sidecar|router)", spec.Name, spec.Type)
	}
	p := cg.SetupProxy(&model.Proxy{
		Type:            typ,
		IPAddresses:     []string{spec.IP},
		ID:              spec.Name + "." + spec.Namespace,
		DNSDomain:       spec.Namespace + ".svc." + domainSuffix,
		ConfigNamespace: spec.Namespace,
		Labels:          spec.Labels,
		Metadata: &model.NodeMetadata{
			Namespace:      spec.Namespace,
			Labels:         spec.Labels,
			ClusterID:      clusterID,
			IstioVersion:   proxyVersion,
			ServiceAccount: spec.ServiceAccount,
			WorkloadName:   spec.Name,
		},
		VerifiedIdentity: &spiffe.Identity{TrustDomain: trustDomain, Namespace: spec.Namespace, ServiceAccount: spec.ServiceAccount},
	})
	listeners := cg.Listeners(p)
	clusters := cg.Clusters(p)
	routes := cg.RoutesFromListeners(p, listeners)
	sort.Slice(listeners, func(i, j int) bool { return listeners[i].Name < listeners[j].Name })
	sort.Slice(clusters, func(i, j int) bool { return clusters[i].Name < clusters[j].Name })
	sort.Slice(routes, func(i, j int) bool { return routes[i].Name < routes[j].Name })

	if dumpDir != "" {
		if err := dump(spec.Name, clusters, listeners, routes); err != nil {
			return ProxyResult{}, err
		}
	}
	r := ProxyResult{Name: spec.Name, Type: spec.Type, Namespace: spec.Namespace, ServiceTargets: len(p.ServiceTargets)}
	if p.MergedGateway != nil {
		for _, servers := range p.MergedGateway.MergedServers {
			r.GatewayServers += len(servers.Servers)
		}
	}
	r.Clusters = sizeOf(clusters)
	r.Listeners = sizeOf(listeners)
	for _, rc := range routes {
		r.Routes.Configs++
		r.Routes.Bytes += proto.Size(rc)
		r.Routes.VirtualHosts += len(rc.VirtualHosts)
		for _, vh := range rc.VirtualHosts {
			r.Routes.Routes += len(vh.Routes)
		}
	}
	r.TotalBytes = r.Clusters.Bytes + r.Listeners.Bytes + r.Routes.Bytes
	for _, l := range listeners {
		chains := l.FilterChains
		if l.DefaultFilterChain != nil {
			chains = append(append([]*listener.FilterChain{}, chains...), l.DefaultFilterChain)
		}
		r.FilterChains += len(chains)
		for _, fc := range chains {
			for _, f := range fc.Filters {
				switch f.Name {
				case wellknown.RoleBasedAccessControl: // envoy.filters.network.rbac
					r.RBACBytes += typedBytes(f.GetTypedConfig())
					r.RBACFilters++
				case wellknown.HTTPConnectionManager:
					h := &hcm.HttpConnectionManager{}
					if err := f.GetTypedConfig().UnmarshalTo(h); err != nil {
						return r, fmt.Errorf("%s: listener %s: %v", spec.Name, l.Name, err)
					}
					for _, hf := range h.HttpFilters {
						if hf.Name == wellknown.HTTPRoleBasedAccessControl { // envoy.filters.http.rbac
							r.RBACBytes += typedBytes(hf.GetTypedConfig())
							r.RBACFilters++
						}
					}
				}
			}
		}
	}
	return r, nil
}

func typedBytes(a *anypb.Any) int {
	if a == nil {
		return 0
	}
	return len(a.Value)
}

func sizeOf[T interface {
	*cluster.Cluster | *listener.Listener | *route.RouteConfiguration
	proto.Message
}](xs []T) Part {
	p := Part{Count: len(xs)}
	for _, x := range xs {
		p.Bytes += proto.Size(x)
	}
	return p
}

// ---- input

type input struct {
	configs []config.Config
	// Kubernetes objects the registry reads
	namespaces      []*corev1.Namespace
	services        []*corev1.Service
	pods            []*corev1.Pod
	endpointSlices  []*discoveryv1.EndpointSlice
	endpoints       []*corev1.Endpoints
	serviceAccounts []*corev1.ServiceAccount
	// namespaces any object lives in
	usedNamespaces map[string]bool
	ignored        map[string]int
}

func readManifests(dir string) (*input, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml") || strings.HasSuffix(p, ".json")) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	in := &input{usedNamespaces: map[string]bool{}, ignored: map[string]int{}}
	var istioDocs []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		for _, doc := range splitYAML(string(data)) {
			var head struct {
				APIVersion string `json:"apiVersion"`
				Kind       string `json:"kind"`
				Metadata   struct {
					Namespace string `json:"namespace"`
				} `json:"metadata"`
			}
			if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
				return nil, fmt.Errorf("%s: %v", f, err)
			}
			if head.Kind == "" {
				continue
			}
			if head.Metadata.Namespace != "" {
				in.usedNamespaces[head.Metadata.Namespace] = true
			}
			group := head.APIVersion
			if i := strings.Index(group, "/"); i >= 0 {
				group = group[:i]
			} else {
				group = ""
			}
			if strings.HasSuffix(group, ".istio.io") {
				istioDocs = append(istioDocs, doc)
				continue
			}
			var target any
			switch head.APIVersion + "/" + head.Kind {
			case "v1/Namespace":
				target = &corev1.Namespace{}
			case "v1/Service":
				target = &corev1.Service{}
			case "v1/Pod":
				target = &corev1.Pod{}
			case "v1/Endpoints":
				target = &corev1.Endpoints{}
			case "v1/ServiceAccount":
				target = &corev1.ServiceAccount{}
			case "discovery.k8s.io/v1/EndpointSlice":
				target = &discoveryv1.EndpointSlice{}
			default:
				in.ignored[head.APIVersion+"/"+head.Kind]++
				continue
			}
			if err := yaml.UnmarshalStrict([]byte(doc), target); err != nil {
				return nil, fmt.Errorf("%s: %s: %v", f, head.Kind, err)
			}
			switch o := target.(type) {
			case *corev1.Namespace:
				in.namespaces = append(in.namespaces, o)
			case *corev1.Service:
				in.services = append(in.services, o)
			case *corev1.Pod:
				in.pods = append(in.pods, o)
			case *corev1.Endpoints:
				in.endpoints = append(in.endpoints, o)
			case *corev1.ServiceAccount:
				in.serviceAccounts = append(in.serviceAccounts, o)
			case *discoveryv1.EndpointSlice:
				in.endpointSlices = append(in.endpointSlices, o)
			}
		}
	}
	configs, badKinds, err := crd.ParseInputs(strings.Join(istioDocs, "\n---\n"))
	if err != nil {
		return nil, fmt.Errorf("Istio configs: %v", err)
	}
	for _, k := range badKinds {
		in.ignored[k.APIVersion+"/"+k.Kind]++
	}
	for i := range configs {
		if configs[i].Namespace == "" {
			configs[i].Namespace = "default"
		}
		configs[i].CreationTimestamp = creation
	}
	in.configs = configs
	return in, nil
}

func splitYAML(s string) []string {
	var docs []string
	var cur []string
	for _, line := range strings.Split(s, "\n") {
		if strings.TrimRight(line, " \t\r") == "---" {
			docs = append(docs, strings.Join(cur, "\n"))
			cur = nil
			continue
		}
		cur = append(cur, line)
	}
	docs = append(docs, strings.Join(cur, "\n"))
	out := docs[:0]
	for _, d := range docs {
		if strings.TrimSpace(d) != "" {
			out = append(out, d)
		}
	}
	return out
}

// ---- the cluster around the app

// ipAllocator hands out addresses of a /16, deterministically in call order.
type ipAllocator struct {
	prefix string
	next   int
}

func (a *ipAllocator) get() string {
	a.next++
	return fmt.Sprintf("%s.%d.%d", a.prefix, a.next/250, a.next%250+1)
}

func selects(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// completeCluster returns the Kubernetes objects of the app with what a
// running cluster would add: Namespaces, ClusterIPs, Pods, EndpointSlices.
func completeCluster(in *input, proxies []ProxySpec, generated map[string]int) []runtime.Object {
	services := sortedByKey(in.services, func(s *corev1.Service) string { return s.Namespace + "/" + s.Name })
	for _, p := range proxies {
		in.usedNamespaces[p.Namespace] = true
	}
	for _, s := range services {
		if s.Namespace == "" {
			s.Namespace = "default"
			in.usedNamespaces["default"] = true
		}
	}
	// Namespaces
	have := map[string]bool{}
	for _, n := range in.namespaces {
		have[n.Name] = true
	}
	for _, ns := range sortedKeys(in.usedNamespaces) {
		if !have[ns] {
			in.namespaces = append(in.namespaces, &corev1.Namespace{
				ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: map[string]string{"kubernetes.io/metadata.name": ns, "istio-injection": "enabled"}},
			})
			generated["Namespace"]++
		}
	}
	// ClusterIPs
	svcIPs := &ipAllocator{prefix: "10.96"}
	for _, s := range services {
		if s.Spec.ClusterIP == "" && s.Spec.Type != corev1.ServiceTypeExternalName {
			s.Spec.ClusterIP = svcIPs.get()
			s.Spec.ClusterIPs = []string{s.Spec.ClusterIP}
			generated["ClusterIP"]++
		}
	}
	// Pods: one per proxy, then one per Service no pod selects
	podIPs := &ipAllocator{prefix: "10.244"}
	pods := in.pods
	for _, p := range proxies {
		pods = append(pods, newPod(p.Name, p.Namespace, p.ServiceAccount, p.IP, p.Labels, services))
		generated["Pod (proxy)"]++
	}
	for _, s := range services {
		if len(s.Spec.Selector) == 0 {
			continue
		}
		found := false
		for _, p := range pods {
			if p.Namespace == s.Namespace && selects(s.Spec.Selector, p.Labels) {
				found = true
				break
			}
		}
		if !found {
			labels := map[string]string{}
			for k, v := range s.Spec.Selector {
				labels[k] = v
			}
			pods = append(pods, newPod(s.Name+"-0", s.Namespace, "default", podIPs.get(), labels, services))
			generated["Pod (service)"]++
		}
	}
	// EndpointSlices for Services that have neither slices nor Endpoints
	hasEndpoints := map[string]bool{}
	for _, e := range in.endpointSlices {
		hasEndpoints[e.Namespace+"/"+e.Labels[discoveryv1.LabelServiceName]] = true
	}
	for _, e := range in.endpoints {
		hasEndpoints[e.Namespace+"/"+e.Name] = true
	}
	slices := in.endpointSlices
	for _, s := range services {
		if len(s.Spec.Selector) == 0 || hasEndpoints[s.Namespace+"/"+s.Name] {
			continue
		}
		slices = append(slices, newEndpointSlice(s, pods))
		generated["EndpointSlice"]++
	}

	var objs []runtime.Object
	for _, o := range sortedByKey(in.namespaces, func(n *corev1.Namespace) string { return n.Name }) {
		objs = append(objs, o)
	}
	for _, o := range sortedByKey(in.serviceAccounts, func(s *corev1.ServiceAccount) string { return s.Namespace + "/" + s.Name }) {
		objs = append(objs, o)
	}
	for _, o := range services {
		objs = append(objs, o)
	}
	for _, o := range sortedByKey(pods, func(p *corev1.Pod) string { return p.Namespace + "/" + p.Name }) {
		objs = append(objs, o)
	}
	for _, o := range in.endpoints {
		objs = append(objs, o)
	}
	for _, o := range slices {
		objs = append(objs, o)
	}
	return objs
}

// newPod: a running, ready pod with an injected sidecar's labels, exposing the
// target ports of the Services that select it.
func newPod(name, ns, sa, ip string, labels map[string]string, services []*corev1.Service) *corev1.Pod {
	l := map[string]string{"security.istio.io/tlsMode": "istio", "service.istio.io/canonical-name": name}
	for k, v := range labels {
		l[k] = v
	}
	var ports []corev1.ContainerPort
	seen := map[int32]bool{}
	for _, s := range services {
		if s.Namespace != ns || !selects(s.Spec.Selector, l) {
			continue
		}
		for _, sp := range s.Spec.Ports {
			port := targetPort(sp)
			if !seen[port] {
				seen[port] = true
				ports = append(ports, corev1.ContainerPort{Name: sp.Name, ContainerPort: port, Protocol: corev1.ProtocolTCP})
			}
		}
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: l},
		Spec: corev1.PodSpec{
			ServiceAccountName: sa,
			NodeName:           "node-0",
			Containers: []corev1.Container{
				{Name: "app", Image: "app", Ports: ports},
				{Name: "istio-proxy", Image: "istio/proxyv2"},
			},
		},
		Status: corev1.PodStatus{
			Phase:      corev1.PodRunning,
			PodIP:      ip,
			PodIPs:     []corev1.PodIP{{IP: ip}},
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
		},
	}
}

func targetPort(sp corev1.ServicePort) int32 {
	if sp.TargetPort.Type == intstr.Int && sp.TargetPort.IntVal != 0 {
		return sp.TargetPort.IntVal
	}
	return sp.Port // a named or absent targetPort: the service port (generated pods name their ports after the Service's)
}

func newEndpointSlice(s *corev1.Service, pods []*corev1.Pod) *discoveryv1.EndpointSlice {
	ready := true
	es := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Name:      s.Name + "-bench",
			Namespace: s.Namespace,
			Labels:    map[string]string{discoveryv1.LabelServiceName: s.Name},
		},
		AddressType: discoveryv1.AddressTypeIPv4,
	}
	for _, sp := range s.Spec.Ports {
		name, proto, port := sp.Name, sp.Protocol, targetPort(sp)
		if proto == "" {
			proto = corev1.ProtocolTCP
		}
		es.Ports = append(es.Ports, discoveryv1.EndpointPort{Name: &name, Protocol: &proto, Port: &port})
	}
	for _, p := range sortedByKey(pods, func(p *corev1.Pod) string { return p.Name }) {
		if p.Namespace != s.Namespace || !selects(s.Spec.Selector, p.Labels) {
			continue
		}
		node := p.Spec.NodeName
		es.Endpoints = append(es.Endpoints, discoveryv1.Endpoint{
			Addresses:  []string{p.Status.PodIP},
			Conditions: discoveryv1.EndpointConditions{Ready: &ready},
			NodeName:   &node,
			TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: p.Namespace, Name: p.Name},
		})
	}
	return es
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedByKey[T any](xs []T, key func(T) string) []T {
	out := append([]T(nil), xs...)
	sort.SliceStable(out, func(i, j int) bool { return key(out[i]) < key(out[j]) })
	return out
}

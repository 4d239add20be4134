package upstream_test

import "github.com/cdk8s-azureml-mesh/test/upstream/common"

// BrokenExpectations: what each Istio check must report on testdata/broken.yaml.
var BrokenExpectations = []common.Expectation{
	{Tool: common.ToolIstioValidate, Object: "AuthorizationPolicy broken/unknown-when-key", Code: "error", Contains: "request.bogus"},
	{Tool: common.ToolIstioValidate, Object: "RequestAuthentication broken/empty-audience", Code: "error", Contains: "audience"},
	{Tool: common.ToolIstioValidate, Object: "PeerAuthentication broken/unknown-field", Code: "error", Contains: "bogus"},
	{Tool: common.ToolIstioAnalyze, Object: "VirtualService broken/undefined-refs", Code: "IST0101", Contains: "no-such-gateway"},
	{Tool: common.ToolIstioAnalyze, Object: "VirtualService broken/undefined-refs", Code: "IST0101", Contains: "no-such-subset"},
}

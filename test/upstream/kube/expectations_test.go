package kube_test

import "github.com/cdk8s-azureml-mesh/test/upstream/common"

// BrokenExpectations: what each Kubernetes check must report on
// testdata/broken.yaml.
var BrokenExpectations = []common.Expectation{
	{Tool: common.ToolCRD, Object: "PeerAuthentication broken/unknown-field", Code: "UnknownField", Contains: `unknown field "spec.mtls.bogus"`},
	{Tool: common.ToolCRD, Object: "HTTPRoute broken/cel-violation", Code: "FieldValueInvalid", Contains: "must be an absolute path"},
	{Tool: common.ToolCRD, Object: "AuthorizationPolicy broken/selector-and-targetrefs", Code: "FieldValueInvalid", Contains: "only one of targetRefs or selector can be set"},
	{Tool: common.ToolCRD, Object: "RequestAuthentication broken/empty-audience", Code: "FieldValueInvalid", Contains: "should be at least 1 chars long"},
	{Tool: common.ToolCore, Object: "Deployment broken/Bad_Name", Code: "/spec", Contains: "replica"},
	{Tool: common.ToolCoreMeta, Object: "Deployment broken/Bad_Name", Code: "FieldValueInvalid", Contains: "RFC 1123 subdomain"},
}

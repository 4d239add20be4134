module github.com/cdk8s-azureml-mesh/test/upstream/lint

go 1.26.0

require (
	github.com/cdk8s-azureml-mesh/test/upstream/common v0.0.0
	github.com/zegl/kube-score v1.20.0
)

replace github.com/cdk8s-azureml-mesh/test/upstream/common => ../common

#!/usr/bin/env bash
# npm run test:upstream: synthesizes every example, test app and a fixed-seed
# sample of property apps into test/upstream/.apps/, and the examples as
# `cdk8s synth` writes them into test/upstream/.dist/ (the manifests folder;
# the plan and reports go to .dist-out/), then runs the four Go harness
# modules (Istio; Kubernetes 1.36 CRD/core validation; kube-score; kubectl's
# file reading and kustomize over .dist/), each over the apps and over its
# broken fixture. Go modules come from the Go
# module proxy on a first run and are pinned by go.mod/go.sum (-mod=readonly).
set -euo pipefail
cd "$(dirname "$0")"
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=readonly"
export GOTOOLCHAIN=local

# the apps' warnings are the library's to print, not this harness's (the property apps have many)
CDK8S_AZUREML_MESH_PRINT_WARNINGS=false ../../node_modules/.bin/tsx dump-apps.ts
CDK8S_OUTDIR=.dist CDK8S_AZUREML_MESH_OUTDIR=.dist-out CDK8S_AZUREML_MESH_PRINT_WARNINGS=false ../../node_modules/.bin/tsx ../../examples/main.ts
status=0
for mod in . kube lint kubectl; do
  echo "== go test ($mod)"
  start=$SECONDS
  # no package argument: go test streams the per-tool report of a passing run
  if ! (cd "$mod" && go test -count=1); then status=1; fi
  echo "   ($mod: $((SECONDS - start)) s)"
done
exit $status

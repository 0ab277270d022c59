#!/usr/bin/env bash
# `make cluster` / `make cluster-down`: the management cluster of the reference deployment on one kind
# cluster (environment `kind`: the local platform, no GPU cluster). docs/deploy.md walks through it.
#
#   deploy/kind/cluster.sh check  the tools and a running Docker engine are there (before anything is set up)
#   deploy/kind/cluster.sh up     create the cluster (or reuse it) and install everything; safe to re-run
#   deploy/kind/cluster.sh down   delete the cluster
#
# up: the step image (`make image`) loaded into kind; Secrets from environment variables; the upstream
# charts of charts/versions/management.yaml with helm (versions and values from the repository, as Argo CD
# uses them); the llmops chart; Argo CD (charts/versions/bootstrap.yaml) with the AppProjects and the root
# app, which then keeps everything in sync with the repository (ARGOCD_ROOT_APP=false: leave it out).
# Environment: KIND_CLUSTER (default llmops), PYTHON (default .venv/bin/python), secrets: NGC_API_KEY,
# HF_TOKEN, MLFLOW_TRACKING_TOKEN, JUDGE_API_KEY (each optional), MINIO_ROOT_USER, MINIO_ROOT_PASSWORD
# (generated on first install when unset). Secret values are never printed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
CLUSTER="${KIND_CLUSTER:-llmops}"
CONTEXT="kind-${CLUSTER}"
PYTHON="${PYTHON:-.venv/bin/python}"
ENVIRONMENT=kind
ARGOCD_ROOT_APP="${ARGOCD_ROOT_APP:-true}"

die() {
	echo "error: $*" >&2
	exit 2
}

require_tools() {
	local missing=() tool
	for tool in "$@"; do
		command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
	done
	if ((${#missing[@]})); then
		die "make cluster needs ${missing[*]} on PATH (docs/deploy.md, 'Deploy on a cluster', lists them)"
	fi
}

require_engine() {
	docker info >/dev/null 2>&1 ||
		die "docker is installed but no Docker engine answers ('docker info' failed): start Docker, then re-run"
}

# "release repoURL chart version namespace", one line per entry of a charts/versions file.
releases() {
	"$PYTHON" - "$1" <<'PY'
import sys

import yaml

for entry in yaml.safe_load(open(sys.argv[1])):
    print(entry["release"], entry["repoURL"], entry["chart"], entry["version"], entry["namespace"])
PY
}

k() { kubectl --context "$CONTEXT" "$@"; }

# apply_secret NAMESPACE NAME KEY=VALUE...: create or update a generic Secret; values go through a file
# descriptor, never through the command line or the terminal.
apply_secret() {
	local namespace="$1" name="$2"
	shift 2
	k -n "$namespace" create secret generic "$name" --from-env-file=<(printf '%s\n' "$@") \
		--dry-run=client -o yaml | k apply -f - >/dev/null
	echo "secret ${namespace}/${name}: keys $(printf '%s\n' "$@" | cut -d= -f1 | paste -sd, -)"
}

secret_value() { # NAMESPACE NAME KEY: a key of an existing Secret, decoded ("" when absent)
	k -n "$1" get secret "$2" -o "jsonpath={.data.$3}" 2>/dev/null | base64 -d 2>/dev/null || true
}

helm_release() { # RELEASE REPO CHART VERSION NAMESPACE: values of the repository, then the kind environment's
	local release="$1" repo="$2" chart="$3" version="$4" namespace="$5"
	local values=(-f "charts/values/${release}.yaml")
	if [[ -f "argocd/env/${ENVIRONMENT}/charts/${release}.yaml" ]]; then
		values+=(-f "argocd/env/${ENVIRONMENT}/charts/${release}.yaml")
	fi
	echo "helm: ${release} (${chart} ${version}) in ${namespace}"
	helm upgrade --install "$release" "$chart" --repo "$repo" --version "$version" \
		--kube-context "$CONTEXT" --namespace "$namespace" --create-namespace \
		"${values[@]}" --wait --timeout 10m
}

# The step images (components/images.py) and the Secret the steps read (components/common.py: SECRET,
# SECRET_ENV): sets IMAGES, SECRET_NAME and SECRET_KEYS ("key VARIABLE" per entry).
read_project() {
	local lines
	mapfile -t lines < <("$PYTHON" -c 'from components.common import SECRET, SECRET_ENV
from components.images import TARGETS
print(" ".join(TARGETS.values()))
print(SECRET)
for e in SECRET_ENV: print(e.secret_key, e.name)')
	((${#lines[@]} >= 2)) || die "could not read components/common.py with ${PYTHON}"
	read -r -a IMAGES <<<"${lines[0]}"
	SECRET_NAME="${lines[1]}"
	SECRET_KEYS=("${lines[@]:2}")
}

step_secrets() {
	local lines=() key var entry
	for entry in "${SECRET_KEYS[@]}"; do
		read -r key var <<<"$entry"
		if [[ -n "${!var:-}" ]]; then lines+=("${key}=${!var}"); fi
	done
	local name="$SECRET_NAME"
	if ((${#lines[@]})); then
		apply_secret llmops "$name" "${lines[@]}"
	else
		k -n llmops create secret generic "$name" --dry-run=client -o yaml | k apply -f - >/dev/null
		echo "secret llmops/${name}: no keys (set NGC_API_KEY, HF_TOKEN, MLFLOW_TRACKING_TOKEN, JUDGE_API_KEY to add them)"
	fi
}

storage_secrets() {
	local user password
	user="${MINIO_ROOT_USER:-$(secret_value minio minio-root rootUser)}"
	password="${MINIO_ROOT_PASSWORD:-$(secret_value minio minio-root rootPassword)}"
	user="${user:-llmops}"
	password="${password:-$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24)}"
	apply_secret minio minio-root "rootUser=${user}" "rootPassword=${password}"
	apply_secret mlflow mlflow-s3 "AWS_ACCESS_KEY_ID=${user}" "AWS_SECRET_ACCESS_KEY=${password}"
	apply_secret llmops argo-artifacts-s3 "accesskey=${user}" "secretkey=${password}"
}

bootstrap_argocd() {
	local release repo chart version namespace
	read -r release repo chart version namespace < <(releases charts/versions/bootstrap.yaml)
	helm_release "$release" "$repo" "$chart" "$version" "$namespace"
	# The in-cluster Secret carries the labels the ApplicationSets select on (argocd/env/kind/clusters.yaml).
	k -n argocd create secret generic cluster-in-cluster \
		--from-literal=name=in-cluster --from-literal=server=https://kubernetes.default.svc \
		--from-literal=config='{"tlsClientConfig":{"insecure":false}}' \
		--dry-run=client -o yaml | k apply -f - >/dev/null
	k -n argocd label --overwrite secret cluster-in-cluster \
		argocd.argoproj.io/secret-type=cluster llmops-env="$ENVIRONMENT" llmops-role=management >/dev/null
	k apply -f argocd/project.yaml
	if [[ "$ARGOCD_ROOT_APP" == "true" ]]; then
		k apply -f argocd/root.yaml
	else
		echo "ARGOCD_ROOT_APP=false: the root app is not applied; the cluster stays as helm installed it"
	fi
}

print_urls() {
	cat <<EOF

The ${CLUSTER} cluster is ready (kubectl context ${CONTEXT}). Open the UIs with a port-forward each:
  Argo Workflows  kubectl --context ${CONTEXT} -n argo port-forward svc/argo-workflows-server 2746:2746
                  http://localhost:2746
  Argo CD         kubectl --context ${CONTEXT} -n argocd port-forward svc/argocd-server 8080:80
                  http://localhost:8080  (user admin; password:
                  kubectl --context ${CONTEXT} -n argocd get secret argocd-initial-admin-secret -o jsonpath='{.data.password}' | base64 -d)
  MLflow          kubectl --context ${CONTEXT} -n mlflow port-forward svc/mlflow 5000:80
                  http://localhost:5000
  MinIO console   kubectl --context ${CONTEXT} -n minio port-forward svc/minio-console 9001:9001
                  http://localhost:9001  (the minio-root Secret's rootUser and rootPassword)
Submit a run (with the Argo Workflows port-forward running):
  ARGO_SERVER=http://localhost:2746 llmops submit workflows/runs/bill-explainer.yaml
EOF
}

check() {
	require_tools kind docker helm kubectl make
	require_engine
}

up() {
	check
	[[ -x "$PYTHON" ]] || die "no Python at ${PYTHON}: run 'make setup' first (or set PYTHON)"
	if kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
		echo "kind cluster ${CLUSTER} exists; updating it"
	else
		kind create cluster --name "$CLUSTER" ${KIND_NODE_IMAGE:+--image "$KIND_NODE_IMAGE"} --wait 120s
	fi
	read_project
	make image
	local image
	for image in "${IMAGES[@]}"; do
		kind load docker-image "$image" --name "$CLUSTER"
	done
	k apply -f argocd/apps/namespace.yaml
	local namespace
	for namespace in minio mlflow; do
		k create namespace "$namespace" --dry-run=client -o yaml | k apply -f - >/dev/null
	done
	step_secrets
	storage_secrets
	local release repo chart version
	while read -r release repo chart version namespace; do
		helm_release "$release" "$repo" "$chart" "$version" "$namespace"
	done < <(releases charts/versions/management.yaml)
	echo "helm: llmops (charts/llmops) in llmops"
	helm upgrade --install llmops charts/llmops --kube-context "$CONTEXT" --namespace llmops \
		-f "argocd/env/${ENVIRONMENT}/values.yaml" --wait --timeout 5m
	bootstrap_argocd
	print_urls
}

down() {
	require_tools kind
	kind delete cluster --name "$CLUSTER"
}

case "${1:-}" in
check) check ;;
up) up ;;
down) down ;;
*) die "usage: $0 check|up|down" ;;
esac

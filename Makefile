# The two commands a newcomer needs: `make run` and `make test`. Both set up what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SPEC ?= workflows/runs/bill-explainer.yaml
export HF_HUB_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup run test render lint mlflow-ui bench cluster clean model

setup: $(STAMP)

# Pinned, CPU-only dependencies (torch 2.13.0 CPU wheel); the project itself is installed editable.
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/llmops run $(SPEC) --auto-approve

test: $(STAMP)
	$(BIN)/python -m pytest -q

render: $(STAMP)
	$(BIN)/llmops render

# Rebuild the local base model from its recipe into steps/local/weights/ (about 10 minutes on 2 cores);
# commit the result. Same recipe and seed give the same tokenizer and, on the same CPU, the same weights.
model: $(STAMP)
	$(BIN)/llmops model build

# Style, types, then the rendered manifests. ruff and mypy read their settings from pyproject.toml.
SCHEMAS ?= $(wildcard ../shared/schemas)
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/llmops lint $(if $(SCHEMAS),--schemas $(SCHEMAS))

mlflow-ui: $(STAMP)
	MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false $(BIN)/mlflow ui --backend-store-uri sqlite:///$(CURDIR)/.llmops/mlflow.db --workers 1 --port 5000

bench: $(STAMP)
	$(BIN)/python bench/run_overhead.py

# A real cluster (Argo Workflows v4 + Argo CD) is described in README; kind needs a Docker engine.
cluster:
	@command -v kind >/dev/null && command -v docker >/dev/null || { echo "make cluster needs kind and a Docker engine (see README: Deploy to a cluster)"; exit 2; }
	kind create cluster --name llmops
	kubectl create namespace argo --dry-run=client -o yaml | kubectl apply -f -
	helm repo add argo https://argoproj.github.io/argo-helm && helm repo update
	helm upgrade --install argo-workflows argo/argo-workflows -n argo --version 1.0.18 -f charts/values/argo-workflows.yaml
	helm upgrade --install llmops charts/llmops -n llmops --create-namespace

clean:
	rm -rf .llmops

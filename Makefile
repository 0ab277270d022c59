# The two commands a newcomer needs: `make run` and `make test`. Both set up what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SPEC ?= workflows/runs/bill-explainer.yaml
export HF_HUB_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup run test render lint mlflow-ui bench cluster cluster-down clean model

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

# The management cluster on kind (needs a Docker engine, kind, helm, kubectl): the step image, Argo
# Workflows, MLflow with PostgreSQL, MinIO, the llmops chart, Argo CD with the root app; prints the UIs'
# port-forward commands. Re-running updates it. Step by step: docs/deploy.md.
cluster:
	deploy/kind/cluster.sh check
	$(MAKE) setup
	PYTHON=$(BIN)/python deploy/kind/cluster.sh up

cluster-down:
	deploy/kind/cluster.sh down

clean:
	rm -rf .llmops

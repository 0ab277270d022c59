# The two commands a newcomer needs: `make run` and `make test`. Both set up what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SPEC ?= workflows/runs/bill-explainer.yaml
export HF_HUB_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup setup-all run test render render-check lint image image-requirements mlflow-ui bench cluster cluster-down clean model

setup: $(STAMP)

# Pinned, CPU-only dependencies (torch 2.13.0 CPU wheel); the project itself is installed editable. The lock is
# complete, so it installs without resolving (--no-deps): nemo-platform's declared requirements are its servers'
# (pyproject.toml says why they are left out). --no-compile: Python compiles what it imports, when it first does.
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-compile -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

# NeMo Platform's real services for the nemo-platform backend's contract tests (tests/nmp): their own environment
# (their dependencies conflict with the project's), installed by `make test` only, never by `make run`.
NMP_VENV := .venv-nemo-platform
NMP_STAMP := $(NMP_VENV)/.installed
# uv installs its 250 pinned wheels in seconds where pip takes minutes (no torch among them, so no wheel index
# but PyPI is needed).
UV := uv==0.13.8
$(NMP_STAMP): requirements-nemo-platform-services.lock
	$(PYTHON) -m venv $(NMP_VENV)
	$(NMP_VENV)/bin/pip install --quiet --disable-pip-version-check $(UV)
	$(NMP_VENV)/bin/uv pip install --quiet --native-tls --no-deps --python $(NMP_VENV)/bin/python \
	  -r requirements-nemo-platform-services.lock
	touch $(NMP_STAMP)

# Both environments (CI installs them side by side: make -j2 setup-all).
setup-all: $(STAMP) $(NMP_STAMP)

run: $(STAMP)
	$(BIN)/llmops run $(SPEC) --auto-approve

# Test files run in parallel (pytest-xdist), each file whole on one worker: an end-to-end file's tests share
# its workspace and run in order. TEST_WORKERS=0 runs everything in this process.
TEST_WORKERS ?= auto
test: $(STAMP) $(NMP_STAMP)
	LLMOPS_NMP_SERVICES=$(CURDIR)/$(NMP_VENV) LLMOPS_REQUIRE_NMP_SERVICES=1 \
	  $(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile --durations=15

render: $(STAMP)
	$(BIN)/llmops render

# For teams that commit the rendered manifests (CI and pre-commit run this): render, then fail when that
# changed or added a file git has not been given (stale or missing manifests).
RENDERED := charts/llmops/files manifests/runs manifests/flywheels
render-check: $(STAMP)
	@$(BIN)/llmops render >/dev/null
	@changed="$$(git diff --name-only -- $(RENDERED); git ls-files --others --exclude-standard -- $(RENDERED))"; \
	  test -z "$$changed" || { printf 'rendered manifests are stale; `make render` changed or added:\n%s\nreview them and commit them with their sources\n' "$$changed"; exit 1; }

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

# Every speed figure with its target, measured side by side in one run, printed as one table (about 10 minutes).
bench: $(STAMP)
	$(BIN)/python -m bench.suite

# The step images (docker/Dockerfile, targets steps and steps-ml), tagged from the package version:
# components/images.py prints "<target> <image>" per line. Needs a Docker engine with BuildKit.
image:
	@command -v docker >/dev/null || { echo "make image needs a Docker engine: the docker CLI is not installed (docs/gitops.md: the step images)"; exit 2; }
	@docker info >/dev/null 2>&1 || { echo "make image needs a Docker engine: docker is installed but no engine answers (docker info failed); start one"; exit 2; }
	@$(MAKE) --no-print-directory setup
	$(BIN)/python -m components.images | while read -r target ref; do \
	  DOCKER_BUILDKIT=1 docker build -f docker/Dockerfile --target "$$target" --tag "$$ref" \
	    --build-arg VERSION="$${ref##*:}" --build-arg REVISION="$$(git rev-parse HEAD 2>/dev/null || echo unknown)" . \
	  || exit 1; done

# Rewrite docker/requirements-*.txt from requirements.lock after the lock changed (a test checks they agree).
image-requirements: $(STAMP)
	$(BIN)/python docker/image_requirements.py

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

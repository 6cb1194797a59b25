# chromactl — everything a fresh clone needs is installed by these targets.
# `make test` is what CI runs (.ci/run calls it).
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
VENV := .venv
UV := $(VENV)/bin/uv
export UV_NO_PROGRESS := 1

.PHONY: setup test test-fast test-live validate fmt lint bench bench-capacity quickstart clean tools nginx wrk zip mutate release-check

$(UV):
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q --disable-pip-version-check uv==$(UV_VERSION)

# The project environment: pinned dependencies, the package installed editable.
$(VENV)/.installed: $(UV) requirements/dev.lock pyproject.toml
	$(UV) pip sync -q --compile-bytecode --python $(VENV)/bin/python requirements/dev.lock
	$(UV) pip install -q --python $(VENV)/bin/python --no-deps -e .
	$(VENV)/bin/python -m compileall -q cli/chromactl >/dev/null
	touch $@

# The offline AWS provider's own environment (protobuf < 6 for the `tf` package).
.venv-tfprov/.installed: $(UV) requirements/tfprovider.lock
	$(UV) venv -q --python $(PYTHON) .venv-tfprov
	$(UV) pip sync -q --python .venv-tfprov/bin/python requirements/tfprovider.lock
	touch $@

# checkov pins old boto3 and friends: its own environment too.
.venv-checkov/.installed: $(UV) requirements/checkov.lock
	$(UV) venv -q --python $(PYTHON) .venv-checkov
	$(UV) pip sync -q --python .venv-checkov/bin/python requirements/checkov.lock
	touch $@

# nginx is the real proxy the auth tests put in front of Chroma (Debian package).
nginx:
	@command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx || { \
	  echo "installing nginx (Debian package) for the auth-proxy tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null) \
	  || { echo "could not install nginx: run 'apt-get install nginx-light' as root" >&2; exit 1; }; }

# wrk (Debian package) is the independent reference of the latency-overhead benchmark (issue 21).
wrk:
	@command -v wrk >/dev/null 2>&1 || { \
	  echo "installing wrk (Debian package) for the latency-overhead benchmark"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null) \
	  || { echo "could not install wrk: run 'apt-get install wrk' as root" >&2; exit 1; }; }

# The token-rotation Lambda's zip, built reproducibly; the env roots plan with it.
ROTATION_SRC := $(wildcard functions/token_rotation/*.py) cli/chromactl/rotation/package.py
build/token-rotation.zip: $(VENV)/.installed $(ROTATION_SRC)
	$(VENV)/bin/python -m chromactl.rotation.package $@

zip: build/token-rotation.zip

tools: $(VENV)/.installed .venv-tfprov/.installed .venv-checkov/.installed nginx wrk build/token-rotation.zip

setup: tools

# Two phases: everything but the benchmarks in parallel (most tests wait on Terraform,
# Chroma or moto, so 4 workers on 2 cores pay off), then the benchmark tests alone, so
# that no other test skews the ratios they assert. Exit non-zero if either phase fails.
PYTEST_WORKERS ?= 4
test: tools
	$(VENV)/bin/python -m pytest -q -n $(PYTEST_WORKERS) --dist loadfile -m "not bench"; rc1=$$?; \
	$(VENV)/bin/python -m pytest -q -m bench; rc2=$$?; \
	test $$rc1 -eq 0 -a $$rc2 -eq 0

# The live suite against a real AWS account: needs credentials and CHROMACTL_LIVE=1.
ENV ?= dev
test-live: tools
	CHROMACTL_LIVE=1 CHROMACTL_LIVE_ENV=$(ENV) $(VENV)/bin/python -m pytest -q -m live tests/live

quickstart:
	./scripts/quickstart

test-fast: tools
	$(VENV)/bin/python -m pytest -q -n $(PYTEST_WORKERS) --dist loadfile -m "not slow"

validate: $(VENV)/.installed .venv-tfprov/.installed
	PYTHONPATH=tools $(VENV)/bin/python -m tfoffline validate-all

fmt:
	$(VENV)/bin/chromactl-terraform fmt -recursive terraform envs

# Before tagging a release (docs/release.md): version == newest CHANGELOG entry == tag, and the tag holds
# the modules `chromactl init` pins. TAG=vX.Y.Z checks a tag by name (default: the tag on HEAD).
release-check: $(VENV)/.installed
	$(VENV)/bin/python scripts/release_check.py $(if $(TAG),--tag $(TAG))

lint: $(VENV)/.installed
	$(VENV)/bin/python tools/layers/contract.py
	$(VENV)/bin/ruff check cli tests tools scripts
	$(VENV)/bin/mypy cli/chromactl tools/tfoffline tools/mutate tools/chromactl_dev tools/layers
	$(VENV)/bin/mypy scripts

bench: tools
	$(VENV)/bin/python scripts/bench_all.py

# Measured RSS of a real Chroma server at three sizes and two dims beside the capacity rule (issue 21);
# 25-50 minutes on a busy 2-core machine (2026-12-02: 384 x 60,000 alone took 14 min to load). Not part of make test or make bench.
bench-capacity: $(VENV)/.installed
	PYTHONPATH=tools:. $(VENV)/bin/python scripts/bench_capacity.py

# Mutation testing (mutmut 3) of the safety-critical modules, against the fast tests; not part of
# `make test` (docs/testing.md: scope, score, survivors). Its own environment: dev.lock + mutmut.
.venv-mutate/.installed: $(UV) requirements/mutate.lock
	$(UV) venv -q --allow-existing --python $(PYTHON) .venv-mutate
	$(UV) pip sync -q --python .venv-mutate/bin/python requirements/mutate.lock
	touch $@

MUTATE_WORKERS ?= 2
mutate: .venv-mutate/.installed
	nice $(CURDIR)/.venv-mutate/bin/python tools/mutate/run.py --max-children $(MUTATE_WORKERS) $(MUTATE_ARGS)

clean:
	rm -rf $(VENV) .venv-tfprov .venv-checkov .venv-mutate .pytest_cache build/mutate

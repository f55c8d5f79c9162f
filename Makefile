# Two commands do all the set-up on a fresh machine:
#   make demo   install, then run the offline default experiment end to end
#   make test   install, then run the test suite (slow end-to-end tests excluded: make test-all)
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.installed
AP := $(VENV)/bin/audioprobe

.PHONY: install demo test test-all lint clean

install: $(STAMP)

$(STAMP): pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e ".[dev]"
	touch $(STAMP)

demo: install
	$(AP) doctor
	$(AP) run experiments/quick.toml --out runs/demo
	$(AP) show runs/demo
	@echo "results: runs/demo (audioprobe export runs/demo --format csv)"

test: install
	$(PY) -m pytest -m "not slow" -q

test-all: install
	$(PY) -m pytest -q

lint: install
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks

clean:
	rm -rf $(VENV) runs build dist .pytest_cache .ruff_cache

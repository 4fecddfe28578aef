# The two commands: `make run` (the study) and `make test`. Both set up what they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Debian packages the tests and benchmarks use: the reference HdrHistogram Java tools
# (the .hlog test) and wrk (the load generator's benchmark baseline).
APT_PACKAGES := libhdrhistogram-java wrk

.PHONY: run test check bench study venv sysdeps lint model clean help
# The study's job: train (the shipped sample, or the file named by KDD99_PATH), then host the
# six stacks in the emulator, run both scenarios, write results/<run-id>/report/report.md.
TIME_SCALE ?= 20

help:
	@echo "make run     - the study on the local emulator (trains, builds, runs, reports)"
	@echo "make test    - make check, then the tests marked slow: the whole suite (what CI runs)"
	@echo "make check   - the quick gate: lint, types, and the tests not marked slow"
	@echo "make lint    - ruff (rules and format check) and mypy only"
	@echo "make bench   - the benchmarks (bench/results.json, bench/README.md)"
	@echo "make study   - the study at full length (time scale 1, about 2 hours: 61 min idle + 11 x 5 min)"
	@echo "make model   - train the model and write build/model.zip and its framework exports"
	@echo "make venv    - create .venv and install the project with every extra"
	@echo "make sysdeps - install the Debian packages the tests use (as root), or say which are missing"
	@echo "make clean   - remove build/ and results/"
	@echo "make help    - this list"

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -U pip
	$(PY) -m pip install -q -e '.[train,infra,loadgen,emulator,dev,frameworks]'
	@touch $(STAMP)

venv: $(STAMP)

sysdeps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "note: Debian packages missing:$$missing (tests that need them skip with the reason; install with: sudo apt-get install$$missing)"; \
	  fi; \
	fi

model: venv
	$(PY) -m model train

run: venv
	$(PY) -m model train
	$(PY) -m study --time-scale $(TIME_SCALE)

study: venv
	$(PY) -m model train
	$(PY) -m study --time-scale 1

# What CI runs: the quick gate (`make check`), then the tests marked slow; every test runs once.
test: venv sysdeps check
	$(PY) -m pytest -m slow

# The quick gate before a commit (also .pre-commit-config.yaml's): lint, types, fast tests.
check: venv lint
	$(PY) -m pytest -m "not slow" -q

# Lint, format and types are part of the tests: the house style asks for ruff- and mypy-clean
# code in ruff's format, the tests and benchmarks included (mypy --strict, pyproject's
# [tool.mypy]); ruff's rules (bugbear, pyupgrade, import order, the complexity budget) are
# pyproject's [tool.ruff.lint]. `ruff format .` writes the format the check asks for.
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy contract model stack emulator loadgen report resultfiles study runtime/python \
	  tests bench

bench: venv sysdeps
	$(PY) -m model train
	$(PY) bench/run_all.py

clean:
	rm -rf build results .pytest_cache

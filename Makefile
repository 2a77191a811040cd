# anbang — the two promises: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SECRETS_DIR := $(or $(ANBANG_SECRETS_DIR),$(or $(ANBANG_DATA_DIR),data)/secrets)

.PHONY: run test setup keys lint format test-sqlite test-postgres clean system-run system-test

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "需要 Python 3.11（当前 %d.%d）" % sys.version_info[:2])'
	@echo "== 准备虚拟环境 $(VENV)"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev,postgres]'
	@touch $@

setup: $(STAMP)

# Debian packages: a CJK font for printed files; poppler and chromium for the tests (scripts/system-packages.sh).
system-run:
	@bash scripts/system-packages.sh run

system-test:
	@bash scripts/system-packages.sh test

# Random root keys for a first install or the demo; never overwrites existing key files.
keys: setup
	@$(PY) -m backend.core.crypto.root_keys init "$(SECRETS_DIR)"

run: keys system-run
	@$(PY) manage.py up

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: setup
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

test-sqlite: setup system-test
	@echo "== pytest on SQLite"
	@env -u DATABASE_URL $(PY) -m pytest -p no:cacheprovider

test-postgres: setup system-test
	@echo "== pytest on PostgreSQL"
	@bash scripts/with-postgres.sh $(PY) -m pytest -p no:cacheprovider

test: lint test-sqlite test-postgres

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

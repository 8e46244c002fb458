# BürgerGIS — two commands on a fresh Debian 12 machine:
#   make run    set everything up, load the demo data, serve on 127.0.0.1:$PORT (5000)
#   make test   set everything up, lint, run the test suite
# Every target is safe to re-run; the venv is only reinstalled when pyproject.toml or
# constraints.txt change. With DATABASE_URL set, no private cluster is started.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := setup

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
BG := $(VENV)/bin/buergergis
VENV_STAMP := $(VENV)/.installed
SHARED_DATA ?= ../shared/data
PYTEST_ARGS ?= -n 2 --dist loadgroup
LINT_PATHS := $(wildcard buergergis tests bench)
# Disposable parts of var/ (work files, disk tile cache); everything else there is state.
VAR_CACHES := var/tmp var/cache
# Which target decides the fatal system packages (tests need Chromium too).
DEPS_FOR ?= run

.PHONY: venv system assets grids db demo setup run cluster cluster-stop lint test bench constraints clean distclean

venv: $(VENV_STAMP)

$(VENV_STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -c constraints.txt -e '.[dev]'
	# The OGC test suite pins pytest<9, pyarrow<18 and openapi-schema-validator<0.7 for itself;
	# its code runs with ours (tests/test_ogc_conformance.py), so it comes without its pins.
	$(PY) -m pip install -q --no-deps -c constraints.txt ogctests
	touch $@

system:
	PYTHON=$(PYTHON) scripts/system-deps.sh $(DEPS_FOR)

assets: venv
	if [ -f package.json ]; then npm ci --no-audit --no-fund && $(PY) -m buergergis.assets; fi

# The BeTA2007 grid makes pyproj's DHDN (EPSG:31467) -> ETRS89 transformation exact.
grids: venv
	dest=$$($(PY) -c 'import pyproj.datadir as d; print(d.get_user_data_dir(True))'); \
	for grid in de_adv_BETA2007.tif BETA2007.gsb; do \
	  src=$(SHARED_DATA)/official/$$grid; \
	  if [ -f "$$src" ] && ! cmp -s "$$src" "$$dest/$$grid"; then \
	    install -m 644 "$$src" "$$dest/$$grid" && echo "Gitter $$grid -> $$dest"; \
	  fi; \
	done

db: venv system
	if [ -z "$${DATABASE_URL:-}" ]; then $(BG) db start; fi
	$(BG) migrate

setup: system venv assets grids db

demo: setup
	$(BG) demo generate
	$(BG) load --all --changed

run: setup demo
	exec $(VENV)/bin/gunicorn -c python:buergergis.gunicorn_conf \
	  --bind 127.0.0.1:$${PORT:-5000} --workers $${WORKERS:-2} \
	  --worker-class gthread --timeout 300 --access-logfile - 'buergergis:create_app()'

# Several hosts on one machine: primary + hot standby (pg_basebackup), two app instances,
# nginx on 127.0.0.1:$CLUSTER_PORT (8080). docs/betrieb.md, "Mehrere Rechner".
cluster: setup demo
	scripts/cluster.sh start

cluster-stop: venv
	scripts/cluster.sh stop

lint: venv
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(VENV)/bin/ruff format --check $(LINT_PATHS)
	$(VENV)/bin/mypy buergergis

test: DEPS_FOR = test
test: setup demo lint
	$(VENV)/bin/pytest --timeout 600 $(PYTEST_ARGS)

bench: DEPS_FOR = bench
bench: setup
	$(PY) -m bench.run

# Pin what the venv holds now, so a fresh machine installs what CI tested.
constraints: venv
	$(VENV)/bin/pip freeze --exclude-editable > constraints.txt.new
	mv constraints.txt.new constraints.txt

# Stops the database and removes caches. State stays: the cluster (var/pg), the COGs of
# loaded raster layers (var/raster) and the secret key; distclean removes all of var/.
clean:
	if [ -x $(BG) ] && [ -d var/pg/data ]; then $(BG) db stop; fi
	rm -rf $(VAR_CACHES)
	find . -path ./$(VENV) -prune -o -path ./node_modules -prune -o \
	  -name __pycache__ -type d -exec rm -rf {} +
	rm -rf .pytest_cache .mypy_cache .ruff_cache test-artifacts

# Also removes the cluster (all loaded data), the venv and the installed node modules.
distclean: clean
	rm -rf var $(VENV) node_modules static/vendor

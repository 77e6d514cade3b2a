# Pilotis — `make demo` builds and serves a demo instance; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/pilotis
VENDOR := pilotis/shell/static/vendor
export PILOTIS_INSECURE_DEMO ?= 1

.PHONY: messages help demo install install-test assets init serve worker test lint typecheck \
        test-sqlite test-postgres postgres chromium node-test-deps bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed assets ## Create .venv and install Pilotis and its front-end assets

install-test: $(VENV)/.installed-test assets

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

assets: node_modules/.installed ## Copy the front-end packages Pilotis serves (from the npm registry)
	mkdir -p $(VENDOR)/dsfr/fonts
	cp node_modules/@gouvfr/dsfr/dist/fonts/Marianne-{Regular,Bold}.woff2 $(VENDOR)/dsfr/fonts/
	mkdir -p $(VENDOR)/vega
	cp node_modules/vega/build/vega.min.js node_modules/vega-lite/build/vega-lite.min.js \
	   node_modules/vega-embed/build/vega-embed.min.js $(VENDOR)/vega/
	# Vega's expression interpreter, so charts run under a CSP without 'unsafe-eval'.
	sed "s#from 'vega-util'#from '../../metrics/vega-util-shim.js'#" \
	   node_modules/vega-interpreter/build/vega-interpreter.js > $(VENDOR)/vega/vega-interpreter.js

init: install ## Create the embedded instance in ./var (database, referential)
	$(BIN)/pilotis init

demo: install ## Install, build the demo territory and serve it on http://127.0.0.1:8000
	$(BIN)/pilotis demo
	$(BIN)/pilotis serve

serve: install ## Serve the instance on http://127.0.0.1:8000
	$(BIN)/pilotis serve

worker: install ## Run the background worker
	$(BIN)/pilotis worker

postgres: ## Start the local PostgreSQL when it is down
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && exit 0; sleep 1; done; \
	  echo "PostgreSQL does not answer on 127.0.0.1:5432"; exit 1

chromium: ## Install Debian's Chromium for the browser tests when missing
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null)

node-test-deps: ## Install the OpenID provider the tests run
	cd tests/accounts/oidc_provider && npm ci --no-audit --no-fund --loglevel=error

lint: install-test ## ruff and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy pilotis

test: install-test chromium postgres node-test-deps lint ## Install what the tests need and run them all, on SQLite then PostgreSQL
	$(MAKE) test-sqlite
	$(MAKE) test-postgres

# Two workers (pytest-xdist): the tests wait on browsers, servers and subprocesses as much as
# they compute, so two workers on two cores take a third of the time of one.
PYTEST_WORKERS ?= 2

test-sqlite:
	$(BIN)/pytest -p no:cacheprovider -n $(PYTEST_WORKERS)

test-postgres:
	PILOTIS_REQUIRE_DATABASE=postgresql DATABASE_URL=$(PG_URL) $(BIN)/pytest -p no:cacheprovider -n $(PYTEST_WORKERS)

bench: install-test ## Run the benchmarks (each prints a ratio against a named baseline)
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean: ## Remove the embedded instance (./var) — its data is lost
	rm -rf var

messages: install-test ## Extract the messages to translate and compile the catalogues
	cd pilotis && ../$(BIN)/pilotis makemessages -l fr --no-obsolete --ignore 'static/*'
	cd pilotis && ../$(BIN)/pilotis compilemessages -l fr

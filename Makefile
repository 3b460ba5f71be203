# Two commands matter: `make run` and `make test`. Everything they need is installed here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test fuzz bench sdl supergraph lint clean chromium

JS_CHECK := tests/e2e/js
JS_STAMP := $(JS_CHECK)/node_modules/.installed

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The JavaScript graphql-ws client, to test our sockets with what real apps use.
$(JS_STAMP): $(JS_CHECK)/package-lock.json
	cd $(JS_CHECK) && npm ci --no-audit --no-fund --loglevel=error
	touch $(JS_STAMP)

# GraphiQL's browser files, served by the platform itself (no CDN): the npm packages pinned in
# server/graphiql/package-lock.json (see server/graphiql_page.py).
GRAPHIQL := server/graphiql
GRAPHIQL_STAMP := $(GRAPHIQL)/node_modules/.installed
$(GRAPHIQL_STAMP): $(GRAPHIQL)/package-lock.json
	cd $(GRAPHIQL) && npm ci --no-audit --no-fund --loglevel=error
	touch $(GRAPHIQL_STAMP)

# Apollo's composition library and Apollo Gateway, to compose and serve our subgraphs.
GATEWAY := tests/e2e/gateway
GATEWAY_STAMP := $(GATEWAY)/node_modules/.installed
$(GATEWAY_STAMP): $(GATEWAY)/package-lock.json
	cd $(GATEWAY) && npm ci --no-audit --no-fund --loglevel=error
	touch $(GATEWAY_STAMP)

# Debian's Chromium, driven by Playwright (tests/e2e/test_graphiql.py loads GraphiQL in it).
chromium:
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

install: $(STAMP) $(GRAPHIQL_STAMP)

run: $(STAMP) $(GRAPHIQL_STAMP)
	$(BIN)/tessera serve --demo

# The suite in two parts: most tests in parallel workers (each with its own PostgreSQL and
# Redis), then the load tests alone so they own the machine (marker `serial`). `loadgroup`
# keeps the cases of a module that shares expensive processes (xdist_group) on one worker.
TEST_WORKERS ?= 3
test: $(STAMP) $(JS_STAMP) $(GRAPHIQL_STAMP) $(GATEWAY_STAMP) chromium
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup -m "not serial"
	$(BIN)/pytest -m serial

# Operations generated from the schema against a running API (tests/fuzz): `make test`
# sends a few hundred, this ten thousand (about a quarter of an hour on two cores).
fuzz: $(STAMP)
	TESSERA_FUZZ_EXAMPLES=10000 $(BIN)/pytest tests/fuzz -q -s

# Benchmarks print a table with their same-run baselines; wrk is the load generator.
bench: $(STAMP)
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python -m bench

sdl: $(STAMP)
	$(BIN)/tessera sdl

# The supergraph SDL for Apollo Gateway / router (docs/federation.md). SUPERGRAPH=path moves
# it; SUBGRAPH_URLS="orders=http://orders:8000/graphql ..." sets routing URLs.
SUPERGRAPH ?= .data/supergraph.graphql
SUBGRAPH_URLS ?=
supergraph: $(STAMP) $(GATEWAY_STAMP)
	$(BIN)/python -m tests.e2e.gateway.supergraph --out $(SUPERGRAPH) $(addprefix --url ,$(SUBGRAPH_URLS))

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .data $(JS_CHECK)/node_modules $(GRAPHIQL)/node_modules $(GATEWAY)/node_modules

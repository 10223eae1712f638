# Two commands do everything: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export BODEGA_DATABASE_URL ?= sqlite+aiosqlite:///var/bodega.db

.PHONY: demo test soak lint typecheck bench clean install pwa

# The phone app (pwa/): npm ci when the lock file changes, a build when a source changes.
PWA_DEPS := pwa/node_modules/.installed
PWA_BUILD := pwa/dist/index.html
PWA_SOURCES := $(shell find pwa/src pwa/scripts -type f) pwa/index.html pwa/vite.config.js pwa/package.json

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

$(PWA_DEPS): pwa/package-lock.json
	cd pwa && npm ci --no-audit --no-fund --loglevel=error
	touch $(PWA_DEPS)

$(PWA_BUILD): $(PWA_DEPS) $(PWA_SOURCES)
	cd pwa && npm run build

pwa: $(PWA_BUILD)

demo: $(STAMP) $(PWA_BUILD)
	$(BIN)/bodega demo

test: $(STAMP) $(PWA_BUILD)
	$(BIN)/ruff check server sync tests
	$(BIN)/pyright
	cd pwa && npm test
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

# The heavy versions: many more property-test examples and crash loops.
soak: $(STAMP)
	BODEGA_SOAK=1 $(BIN)/python -m pytest -q -n 2 --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check server sync tests
	$(BIN)/ruff format --check server sync tests

typecheck: $(STAMP)
	$(BIN)/pyright

bench: $(STAMP)
	$(BIN)/bodega bench ingest

clean:
	rm -rf $(VENV) var build *.egg-info pwa/node_modules pwa/dist

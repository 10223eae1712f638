# Two commands do everything: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export BODEGA_DATABASE_URL ?= sqlite+aiosqlite:///var/bodega.db

.PHONY: demo test soak lint typecheck bench clean install pwa lock upgrade

# The phone app (pwa/): npm ci when the lock file changes, a build when a source changes.
PWA_DEPS := pwa/node_modules/.installed
PWA_BUILD := pwa/dist/index.html
PWA_SOURCES := $(shell find pwa/src pwa/scripts -type f) pwa/index.html pwa/console.html pwa/vite.config.js pwa/package.json

# Python packages come only from requirements.lock: every version pinned, every file hashed, so a
# fresh machine installs exactly what CI tested. Bodega itself is installed on top without
# resolving anything (--no-deps), built by the locked setuptools (--no-build-isolation); pip check
# fails if pyproject.toml asks for something the lock does not hold (run `make lock`).
$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/pip check
	touch $(STAMP)

install: $(STAMP)

# The lock changes only by a deliberate commit. `make lock` adds what pyproject.toml newly asks for
# and keeps every other pin; `make upgrade` re-resolves everything (runtime, test extras and the build
# backend) to the newest allowed versions. Review requirements.lock's diff, then run make test.
PIP_TOOLS := pip-tools==7.7.0
LOCK_FLAGS := --quiet --extra test --all-build-deps --allow-unsafe --generate-hashes --strip-extras \
	--no-emit-find-links --no-emit-index-url --output-file requirements.lock pyproject.toml
$(VENV)-lock/bin/pip-compile:
	$(PYTHON) -m venv $(VENV)-lock && $(VENV)-lock/bin/pip install --quiet $(PIP_TOOLS)

lock: $(VENV)-lock/bin/pip-compile
	$(VENV)-lock/bin/pip-compile $(LOCK_FLAGS)

upgrade: $(VENV)-lock/bin/pip-compile
	$(VENV)-lock/bin/pip-compile --upgrade $(LOCK_FLAGS)

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
	BODEGA_SOAK=1 $(BIN)/python -m pytest -q -n 2 --dist loadfile --timeout 3600

lint: $(STAMP)
	$(BIN)/ruff check server sync tests
	$(BIN)/ruff format --check server sync tests

typecheck: $(STAMP)
	$(BIN)/pyright

bench: $(STAMP)
	$(BIN)/bodega bench ingest

clean:
	rm -rf $(VENV) $(VENV)-lock var build *.egg-info pwa/node_modules pwa/dist server/apidocs/static

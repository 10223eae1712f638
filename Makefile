# Two commands do everything: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export BODEGA_DATABASE_URL ?= sqlite+aiosqlite:///var/bodega.db

.PHONY: demo test soak lint typecheck bench clean install

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/bodega demo

test: $(STAMP)
	$(BIN)/ruff check server sync tests
	$(BIN)/pyright
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
	rm -rf $(VENV) var build *.egg-info

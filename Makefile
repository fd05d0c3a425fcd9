# jwcal: `make demo` to see it work, `make test` to check it. Both create .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO := demo-output

.PHONY: venv test demo bench man lint clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,crds,reference,dask]'
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -q
	$(BIN)/ruff check jwcal tests bench

lint: $(STAMP)
	$(BIN)/ruff check jwcal tests bench

man: $(STAMP)
	$(BIN)/python -m jwcal.cli.manpages man

demo: $(STAMP)
	PATH=$(CURDIR)/$(BIN):$$PATH sh bench/demo.sh $(DEMO)

bench: $(STAMP)
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache

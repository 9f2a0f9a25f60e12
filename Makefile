# The two commands of the README. Both create (or reuse) the local virtual environment .venv
# and install what they need into it.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo test lint bench fuzz clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,dask]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

## the main job: batch extraction over the sample transcripts in examples/
demo: $(STAMP)
	$(VENV)/bin/figures extract examples --out out/facts.csv --findings out/findings.csv

## the whole test suite (lint included)
test: $(STAMP)
	$(PY) -m ruff check extractor schemas rules tests bench
	-sh scripts/ensure-chromium.sh
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check extractor schemas rules tests bench

clean:
	rm -rf out .pytest_cache .ruff_cache

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

## the main job: batch extraction and cross-checks over the sample transcripts in examples/,
## writing the facts and findings CSVs and a validation report per document (the examples hold
## planted inconsistencies, so findings do not fail the demo: --fail-on never)
demo: $(STAMP)
	$(VENV)/bin/figures check examples --out out/facts.csv --findings out/findings.csv \
		--report-dir out/reports --fail-on never

## the whole test suite (lint included)
test: $(STAMP)
	$(PY) -m ruff check extractor schemas rules tests bench
	-sh scripts/ensure-chromium.sh
	$(PY) -m pytest

## the benchmark: throughput, 1 -> 2 worker scaling, memory at two corpus sizes, peers
## (BENCH_ARGS=--quick for a small run); see README "Scale and benchmark"
bench: $(STAMP)
	$(PY) bench/run.py $(BENCH_ARGS)

## the fuzz run (not part of `make test`): the property tests with a large Hypothesis budget
## (FUZZ_PROFILE=fuzz: 3,000 examples a property; FUZZ_PROFILE=dev: 200) and the heavy
## hostile-input tests (a 20 MB single line, a 1,000-document batch); see README "Hostile input"
FUZZ_PROFILE ?= fuzz
fuzz: $(STAMP)
	FIGURES_HYPOTHESIS_PROFILE=$(FUZZ_PROFILE) FIGURES_HEAVY=1 $(PY) -m pytest -q \
		tests/test_properties.py tests/test_hostile.py tests/test_timeouts.py

lint: $(STAMP)
	$(PY) -m ruff check extractor schemas rules tests bench

clean:
	rm -rf out .pytest_cache .ruff_cache

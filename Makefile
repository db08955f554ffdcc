# Two commands for a fresh machine:  `make notebooks`  and  `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
INCEPTION_MODEL ?= efficientnet-lite0
PYTEST_ARGS ?=

.PHONY: notebooks test lab bench clean help

help:
	@echo "make notebooks   run every notebook on the embedded model, results in build/"
	@echo "                 (make notebooks INCEPTION_MODEL=inception-v3 downloads Inception v3)"
	@echo "make test        run the test suite"
	@echo "make lab         open JupyterLab"
	@echo "make bench       speed and memory benchmark"

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

notebooks: $(STAMP)
	$(PY) tools/run_notebooks.py --model $(INCEPTION_MODEL) --output build

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/

bench: $(STAMP)
	$(PY) bench/bench_optimize.py

clean:
	rm -rf build .pytest_cache

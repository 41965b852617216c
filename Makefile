# Two entry points (see README "Quick start"): `make demo` and `make test`.
# Both create .venv in the checkout with Python 3.11 and install the pinned package.
PYTHON ?= python3.11
VENV := .venv
CORES ?= 2

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --upgrade pip==25.3
	$(VENV)/bin/pip install -e '.[test]'
	touch $@

.PHONY: setup profiles demo test
setup: $(VENV)/.installed profiles

# `snakemake --profile slurm|local` from any directory (profiles/install.sh; never replaces a user's own profile)
profiles:
	@sh profiles/install.sh

demo: setup
	$(VENV)/bin/snakemake --cores $(CORES) all

test: setup
	$(VENV)/bin/python -m pytest -x -q tests

# Two commands set everything up: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The repository's own store. `make demo` always loads it (never an inherited
# $ALLIANCE_KIT_DB, which for a team names the shared database); lab and dashboard use
# $ALLIANCE_KIT_DB when it is set, as a team's analysts want.
DEMO_DB := $(CURDIR)/data/alliance_kit.sqlite
export ALLIANCE_KIT_DB ?= $(DEMO_DB)

.PHONY: demo test lab dashboard reports lint bench clean-data help

help:
	@echo "make demo   - install, load the sample portfolio, produce the reports"
	@echo "make test   - install, start test services, run the whole test suite"
	@echo "make lab    - JupyterLab on notebooks/ with the default store"
	@echo "make dashboard - the executive dashboard in Voila"
	@echo "make bench  - the benchmarks under bench/"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

# DEMO_ARGS=--force replaces a data/ store holding anything but the sample (snapshot first).
demo: $(STAMP)
	$(BIN)/alliance-kit demo --db "$(DEMO_DB)" $(DEMO_ARGS)

test: $(STAMP)
	bash .ci/services.sh
	. ./.ci/test-env.sh && $(BIN)/python -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check alliance_kit tests bench
	$(BIN)/ruff format --check alliance_kit tests bench

# JupyterLab on notebooks/ (open 00_start_here.ipynb first). Kernels inherit
# ALLIANCE_KIT_DB, so every notebook opens the same store; `init` creates or upgrades it.
lab: $(STAMP)
	$(BIN)/alliance-kit init
	@echo "notebooks read and write the store $(ALLIANCE_KIT_DB) (make demo loads the sample portfolio)"
	$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)/notebooks" --ServerApp.ip=127.0.0.1 \
	  $(if $(filter 0,$(shell id -u)),--allow-root,) $(LAB_ARGS)

dashboard: $(STAMP)
	@echo "the dashboard reads the store $(ALLIANCE_KIT_DB)"
	$(BIN)/alliance-kit dashboard

bench: $(STAMP)
	for b in bench/bench_*.py; do $(BIN)/python $$b || exit 1; done

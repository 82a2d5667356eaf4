# Kramar: `make run` starts everything, `make test` checks everything.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
RASA := PYTHONPATH=. $(VENV)/bin/rasa
VENV_STAMP := $(VENV)/.installed-$(shell sha1sum requirements/requirements.lock | cut -c1-12)
MODEL := models/kramar.tar.gz
# Rasa's training cache (content fingerprints) lives outside the checkout, so
# every clone on this machine, CI's included, reuses what another one trained.
export RASA_CACHE_DIRECTORY ?= $(HOME)/.cache/kramar/rasa-training
export RASA_MAX_CACHE_SIZE ?= 6000
TRAINING_INPUTS := config.yml domain.yml $(shell find data bot/nlu -type f \( -name '*.yml' -o -name '*.py' \) 2>/dev/null)

# Python 3.10: on PATH (pyenv reads .python-version), else any pyenv 3.10, else the system's.
PYTHON_310 := $(firstword $(foreach p,python3.10 $(wildcard $(HOME)/.pyenv/versions/3.10*/bin/python3.10) /usr/bin/python3.10,\
	$(shell $(p) -c 'import sys; assert sys.version_info[:2] == (3, 10); print(sys.executable)' 2>/dev/null)))

.PHONY: help setup train learn run test eval bench lint types browser haproxy medusa clean

help:
	@echo "make run    set up, train if needed, start the whole assistant"
	@echo "make test   set up and run every check (ruff, mypy, rasa data validate, pytest)"
	@echo "make eval   NLU scores, speed, size and memory per language and pipeline (held-out sets)"
	@echo "make bench  load test: Kramar in production mode against plain Rasa"
	@echo "make learn EXPORT=file.yml   add the inbox's misunderstood export to data/nlu and retrain"
	@echo "make lint | types | train | clean"

# The stamp's name carries the lock's hash, so only a changed lock rebuilds the venv
# (not a newer file time, as after a fresh checkout or in a git worktree).
$(VENV_STAMP): | requirements/requirements.lock
	@if [ -z "$(PYTHON_310)" ]; then \
		echo "step 'python': Python 3.10 was not found. Install it, e.g. 'pyenv install 3.10.13' or 'apt-get install python3.10', then retry." >&2; exit 1; fi
	@echo "step 'setup': creating $(VENV) with $(PYTHON_310) and installing the locked dependencies..."
	@rm -rf $(VENV) && $(PYTHON_310) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps \
		-r requirements/requirements.lock 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2) \
		|| { echo "step 'setup': installing dependencies failed (see above)." >&2; exit 1; }
	@$(PY) -m pip check >/dev/null || { $(PY) -m pip check; echo "step 'setup': dependency conflict." >&2; exit 1; }
	@touch $@

setup: $(VENV_STAMP)

# Rasa's own fingerprint skips training when nothing relevant changed.
$(MODEL): $(VENV_STAMP) $(TRAINING_INPUTS)
	@PYTHONPATH=. $(PY) -m bot.train --out $(MODEL)

train: $(MODEL)

# The inbox's "misunderstood" export into data/nlu, then a new model (a running bot reloads it).
learn: $(VENV_STAMP)
	@test -n "$(EXPORT)" || { echo "usage: make learn EXPORT=path/to/export.yml" >&2; exit 1; }
	@PYTHONPATH=. $(PY) -m bot.learn "$(EXPORT)"
	@$(MAKE) --no-print-directory train

# Production mode (KRAMAR_MODE=production, here or in .env) puts HAProxy in front of Rasa.
PRODUCTION := $(or $(filter production,$(KRAMAR_MODE)),$(shell grep -qsx 'KRAMAR_MODE=production' .env && echo production))

run: $(MODEL) $(if $(PRODUCTION),haproxy)
	@PYTHONPATH=. $(PY) -m bot.launcher

lint: $(VENV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check --quiet .

types: $(VENV_STAMP)
	$(VENV)/bin/mypy bot actions

# Debian's Chromium for the browser tests (Playwright cannot download its own here).
browser:
	@command -v chromium >/dev/null || { echo "step 'browser': installing Debian's chromium..."; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null \
		|| { echo "step 'browser': could not install chromium (apt-get install chromium)." >&2; exit 1; }; }

# Debian's HAProxy balances production mode's Rasa replicas (the production tests need it).
haproxy:
	@command -v haproxy >/dev/null || test -x /usr/sbin/haproxy || { echo "step 'haproxy': installing Debian's haproxy..."; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy) >/dev/null \
		|| { echo "step 'haproxy': could not install haproxy (apt-get install haproxy)." >&2; exit 1; }; }

# Medusa 2 for the shop contract tests (tests/shops): its npm packages, once per
# platforms/medusa/package-lock.json, into ~/.cache/kramar/medusa (outside the checkout).
medusa: $(VENV_STAMP)
	@PYTHONPATH=. $(PY) -m platforms.medusa.server install

# The tests use the PostgreSQL and Redis that answer at KRAMAR_TEST_POSTGRES_URL
# and KRAMAR_TEST_REDIS_URL (127.0.0.1:5432 and :6379); when none does,
# tests/support/infra.py installs Debian's packages and starts its own.
test: $(MODEL) browser haproxy medusa
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check --quiet .
	$(VENV)/bin/mypy bot actions
	$(RASA) data validate --quiet
	@servers=$$(PYTHONPATH=. $(PY) -m tests.support.infra) && eval "$$servers" \
		&& echo "PostgreSQL $$KRAMAR_TEST_POSTGRES_URL, Redis $$KRAMAR_TEST_REDIS_URL" \
		&& echo "PYTHONPATH=. $(PY) -m pytest" && PYTHONPATH=. $(PY) -m pytest

# "ours" is the served model (same config.yml and data/nlu): no second training.
# The first run also trains the DIET variants of bench/configs (about two hours
# each on 2 cores; reused afterwards). For a quick table:
#   PYTHONPATH=. .venv/bin/python bench/nlu_eval.py --ours-model models/kramar.tar.gz \
#     --only ours,linear_use,linear_no_sentences
eval: $(MODEL)
	PYTHONPATH=. $(PY) bench/nlu_eval.py --ours-model $(MODEL)

bench: $(MODEL)
	PYTHONPATH=. $(PY) bench/load.py --docs docs/benchmarks.md

clean:
	rm -rf $(VENV) models .rasa var reports results .pytest_cache .ruff_cache .mypy_cache

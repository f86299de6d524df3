# Two commands on a fresh Debian machine with Python 3.11: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_DB := var/demo.sqlite3
DEMO_PARTICIPANTS ?= 300

.PHONY: demo test lint typecheck pytest install clean bench

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "desist needs Python 3.11, found " + sys.version' 
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	mkdir -p var
	rm -f $(DEMO_DB)
	DATABASE_URL=sqlite:///$(DEMO_DB) DESIST_MFA_REQUIRED=false $(BIN)/desist migrate --verbosity 0
	DATABASE_URL=sqlite:///$(DEMO_DB) DESIST_MFA_REQUIRED=false $(BIN)/desist demo-data --participants $(DEMO_PARTICIPANTS) --seed 1
	DATABASE_URL=sqlite:///$(DEMO_DB) DESIST_MFA_REQUIRED=false $(BIN)/desist runserver 127.0.0.1:8000

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy desist desist_analytics

pytest: $(STAMP)
	$(BIN)/pytest -q

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python bench/caseload.py

clean:
	rm -rf $(VENV) var/*.sqlite3

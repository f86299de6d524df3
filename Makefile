# Two commands on a fresh Debian machine with Python 3.11: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_DB := var/demo.sqlite3
DEMO_PARTICIPANTS ?= 300

.PHONY: demo test lint typecheck pytest install clean bench system-packages runtime-packages

# Debian packages the app needs to run: Pango for WeasyPrint's PDF rendering, and Liberation
# Sans (metrically the same as Arial, the house font) for the PDFs.
RUNTIME_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 fonts-liberation2
# ... and the test suite, too: chromium for the browser tests, gettext for the message catalogue test.
DEBIAN_PACKAGES := $(RUNTIME_PACKAGES) chromium gettext

install: $(STAMP)

# Installs the Debian packages that are missing (as root, or through sudo); says which and how
# when it cannot.
system-packages:
	@missing=""; for package in $(DEBIAN_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:$$missing"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo"; else \
			echo "Missing Debian packages:$$missing. Install them with: apt-get install$$missing" >&2; exit 1; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null \
			|| { echo "Could not install:$$missing. Install them with: apt-get install$$missing" >&2; exit 1; }; \
	fi

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "desist needs Python 3.11, found " + sys.version' 
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $(STAMP)

runtime-packages:
	@$(MAKE) --no-print-directory system-packages DEBIAN_PACKAGES="$(RUNTIME_PACKAGES)"

demo: $(STAMP) runtime-packages
	mkdir -p var
	rm -f $(DEMO_DB)
	DATABASE_URL=sqlite:///$(DEMO_DB) DESIST_MFA_REQUIRED=false DESIST_EMAIL=console $(BIN)/desist migrate --verbosity 0
	DATABASE_URL=sqlite:///$(DEMO_DB) DESIST_MFA_REQUIRED=false DESIST_EMAIL=console $(BIN)/desist demo-data --participants $(DEMO_PARTICIPANTS) --seed 1 --offences-file var/demo-offences.csv --datalab-folder var
	DATABASE_URL=sqlite:///$(DEMO_DB) DESIST_MFA_REQUIRED=false DESIST_EMAIL=console $(BIN)/desist runserver 127.0.0.1:8000

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy desist desist_analytics

pytest: $(STAMP) system-packages
	$(BIN)/pytest -q

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python bench/caseload.py
	$(BIN)/python bench/active_participants.py

clean:
	rm -rf $(VENV) var/*.sqlite3

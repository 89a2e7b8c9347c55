# The two set-up commands: `make demo` and `make test`. Everything else here serves them.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
PYTEST_ARGS ?=
MESSAGE_APPS := core members workflow needs council portfolio costs projects benefits portal

.PHONY: demo test lint install install-test test-sqlite test-mariadb services-start services-stop messages check-deploy benchmark clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# WeasyPrint (the minutes as PDF) needs Pango and HarfBuzz from Debian, and a font.
PDF_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core

# Installed when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	@dpkg -s $(PDF_PACKAGES) >/dev/null 2>&1 || { apt-get update && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(PDF_PACKAGES); }
	$(PY) -m pip install --quiet -e .
	touch $@

# The portal's CSS (Digdir's Designsystemet), installed when package-lock.json changes.
node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	scripts/test-services.sh install
	$(PY) -m pip install --quiet -e '.[test,mysql]'
	touch $@

install: $(VENV)/.installed node_modules/.installed

install-test: $(VENV)/.installed-test node_modules/.installed

demo: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	@echo
	@echo "Serving on http://127.0.0.1:$(PORT)/  (Desk: /desk/, API docs: /api/docs/). Stop with Ctrl-C."
	IKT_DEBUG=true $(PY) manage.py runserver 127.0.0.1:$(PORT)

# The whole suite on SQLite, then on MariaDB, with a real Redis and Chromium.
test: install-test lint
	@scripts/test-services.sh start >/dev/null
	@set -o pipefail; status=0; \
	source .run/services.env; export IKT_TEST_REDIS_URL IKT_TEST_MARIADB_URL IKT_REDIS_URL=$$IKT_TEST_REDIS_URL; \
	echo "=== SQLite ==="; \
	$(PY) -m pytest $(PYTEST_ARGS) || status=$$?; \
	echo "=== MariaDB ($$IKT_TEST_MARIADB_URL) ==="; \
	IKT_DATABASE_URL=$$IKT_TEST_MARIADB_URL $(PY) -m pytest $(PYTEST_ARGS) || status=$$?; \
	scripts/test-services.sh stop >/dev/null; \
	exit $$status

test-sqlite: install-test
	@scripts/test-services.sh start >/dev/null
	@source .run/services.env; export IKT_TEST_REDIS_URL IKT_REDIS_URL=$$IKT_TEST_REDIS_URL; $(PY) -m pytest $(PYTEST_ARGS)

test-mariadb: install-test
	@scripts/test-services.sh start >/dev/null
	@source .run/services.env; export IKT_TEST_REDIS_URL IKT_REDIS_URL=$$IKT_TEST_REDIS_URL; IKT_DATABASE_URL=$$IKT_TEST_MARIADB_URL $(PY) -m pytest $(PYTEST_ARGS)

lint: install-test
	$(PY) -m ruff check ikt_portfolio ikt_site tests benchmarks
	$(PY) -m ruff format --check --quiet ikt_portfolio ikt_site tests benchmarks

services-start:
	scripts/test-services.sh start

services-stop:
	scripts/test-services.sh stop

# Regenerate the translation catalogs from the source and compile them.
messages: install
	# Each app keeps its own locale/ (created first, or makemessages writes into LOCALE_PATHS instead).
	cd ikt_portfolio && for app in $(MESSAGE_APPS); do \
	  (cd $$app && mkdir -p locale && ../../$(PY) ../../manage.py makemessages -l nb -l nn --no-obsolete --ignore 'migrations/*'); done
	$(PY) manage.py compilemessages --ignore .venv

check-deploy: install
	IKT_SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(60))') \
	IKT_ALLOWED_HOSTS=portefolje.example.no DJANGO_SETTINGS_MODULE=ikt_site.settings_production \
	$(PY) manage.py check --deploy --fail-level WARNING

benchmark: install-test
	@scripts/test-services.sh start >/dev/null
	$(PY) -m benchmarks.run

clean:
	rm -rf $(VENV) .run db.sqlite3 staticfiles

# Agenda: `make run` serves everything on 127.0.0.1:8080, `make test` is what CI runs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Reinstalled only when a requirements file changes.
STAMP := $(VENV)/.requirements-installed
REQUIREMENTS := requirements/runtime.txt requirements/dev.txt

# The suite creates its own databases through this admin URL.
TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
# Schema tests also run on an embedded PostgreSQL 18 kept here (git-ignored).
TEST_PG_DATA := .data/pg-test

.PHONY: .venv run test deploy-check lint migrate create-admin openapi bench backup restore nginx-conf rotate-encryption-key translations screenshots clean

.venv: $(STAMP)

$(STAMP): $(REQUIREMENTS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements/dev.txt
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m shared.localdev.run

# The schema tests run first on the embedded PostgreSQL 18, then the whole suite on the machine's
# PostgreSQL, so the last summary line is the full suite's.
test: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m shared.localdev.embedded_pg --data $(TEST_PG_DATA) --database postgres --env TEST_DATABASE_URL \
		-- $(PY) -m pytest -m schema
	TEST_DATABASE_URL='$(TEST_DATABASE_URL)' $(PY) -m pytest

# Before a deploy: the real faas-cli shrinkwraps openfaas/stack.yml and every function runs under the real
# of-watchdog with its production settings (FAAS_CLI, FWATCHDOG: default ../shared/bin/), plus the
# timeout ladder; against a scratch database made through TEST_DATABASE_URL.
deploy-check: $(STAMP)
	TEST_DATABASE_URL='$(TEST_DATABASE_URL)' $(PY) -m pytest tests/runtime tests/foundation/test_image_layout.py

lint: $(STAMP)
	$(PY) -m ruff check .

# A one-off against the target database, before deploying: make migrate DATABASE_URL=postgresql://...
migrate: $(STAMP)
	$(PY) -m alembic upgrade head

create-admin: $(STAMP)
	@test -n "$(EMAIL)" || { echo "usage: make create-admin EMAIL=operator@example.com"; exit 2; }
	$(PY) -m shared.accounts.cli create-admin --email "$(EMAIL)"

openapi: $(STAMP)
	$(PY) -m shared.openapi --output openfaas/openapi.json

# Against its own database (agenda_bench) and Redis database (14), on 127.0.0.1; writes BENCHMARKS.md.
bench: $(STAMP)
	$(PY) -m tests.benchmarks

# A dump of DATABASE_URL into BACKUP_DIR (default /var/backups/agenda), with retention (openfaas/backup).
backup:
	@test -n "$(DATABASE_URL)" || { echo "usage: make backup DATABASE_URL=postgresql://... [BACKUP_DIR=...]"; exit 2; }
	openfaas/backup/backup.sh

# Into an empty database only: make restore DUMP=/var/backups/agenda/agenda-....dump DATABASE_URL=postgresql://...
restore:
	@test -n "$(DUMP)" -a -n "$(DATABASE_URL)" || { echo "usage: make restore DUMP=file DATABASE_URL=postgresql://..."; exit 2; }
	openfaas/backup/restore.sh "$(DUMP)" "$(DATABASE_URL)"

# Re-encrypt every stored private value under ENCRYPTION_KEY (README, "Encryption keys").
rotate-encryption-key: $(STAMP)
	$(PY) -m shared.secretbox rotate

# The nginx site from openfaas/stack.yml's routes (a test checks the committed file is current).
nginx-conf: $(STAMP)
	$(PY) -m shared.localdev.nginx > openfaas/nginx/agenda.conf

# A PNG of each client page and state in docs/screenshots/ (shown in README), taken by the browser test
# that walks them, on the test database and a real Chromium (as make test needs).
screenshots: $(STAMP)
	SCREENSHOTS_DIR=docs/screenshots TEST_DATABASE_URL='$(TEST_DATABASE_URL)' \
		$(PY) -m pytest tests/pages/test_screenshots.py -q

# The pages' Spanish catalog (templates/pages/i18n/es.po) brought in line with the code and templates:
# new messages get an empty translation to fill in, unused ones are dropped (a test checks both); and the
# time zones' names the pages show (templates/pages/i18n/zones.json, from Babel's CLDR data).
translations: $(STAMP)
	$(PY) -m shared.pages.catalog

clean:
	rm -rf build .pytest_cache .ruff_cache .hypothesis
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

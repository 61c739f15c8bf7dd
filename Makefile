# MedTrack: `make run` to try it, `make test` to check it. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
MAKEMESSAGES_OPTIONS := --ignore=.venv --ignore=var --ignore=bench --ignore=docs --ignore='*/tests/*' --ignore=examples --no-obsolete
PY := $(VENV)/bin/python
PORT ?= 8000
# pytest-xdist workers; CI machines have 2 cores.
WORKERS ?= 2
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help install messages build db db-stop backup restore migrate run test test-db bench bench-generation lint format clean

help:
	@echo "make run      set everything up and serve on http://127.0.0.1:$(PORT)"
	@echo "make test     set everything up and run every test"
	@echo "make lint     ruff and mypy"
	@echo "make bench    page speed and query counts (BENCH_SIZE=small|large): docs/performance.md"
	@echo "make bench-generation  dose generation throughput (2.1 M doses; several minutes)"
	@echo "make messages refresh locale/es after changing user-facing text (then translate)"
	@echo "make build    production static files (collectstatic into STATIC_ROOT)"
	@echo "make db-stop  stop the embedded PostgreSQL (data stays in var/)"
	@echo "make backup   dump the embedded database to var/backups/ (README \"Backups\")"
	@echo "make restore FILE=var/backups/medtrack-....dump  restore such a dump"

$(PY):
	@py=$$(scripts/find-python) && echo "Creating $(VENV) with $$py" && "$$py" -m venv $(VENV)

$(VENV)/.installed: requirements.lock | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@touch $@

# The compiled translation catalogues (.mo, not kept in git), rebuilt when a .po changes.
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/*.po))

%.mo: %.po | $(VENV)/.installed
	$(PY) manage.py compilemessages --ignore=.venv --ignore=var --verbosity 0

install: $(VENV)/.installed $(CATALOGUES)

# After changing user-facing text: refresh the catalogues (needs GNU gettext),
# translate what is new in locale/es/LC_MESSAGES/django.po, then `make install`.
messages: $(VENV)/.installed
	$(PY) manage.py makemessages --locale es $(MAKEMESSAGES_OPTIONS)

# Production's static files, hashed and compressed, for whitenoise to serve
# (STATIC_ROOT, default var/static). Run it at build/deploy time, before the app
# starts. DEBUG=false: development serves static/ directly and has no STATIC_ROOT.
build: install
	DEBUG=false $(PY) manage.py collectstatic --noinput

# The embedded PostgreSQL, only when DATABASE_URL is unset.
db: install
	@if [ -z "$$DATABASE_URL" ]; then $(PY) -m medtrack.embedded_db start; \
	else echo "Using DATABASE_URL (prepare it once with manage.py setup_database)."; fi

db-stop: install
	$(PY) -m medtrack.embedded_db stop

# The embedded database only: with DATABASE_URL set, both explain what to do instead.
backup: db
	$(PY) manage.py backup

restore: db
	@if [ -z "$(FILE)" ]; then echo "Usage: make restore FILE=var/backups/medtrack-....dump"; exit 2; fi
	$(PY) manage.py restore "$(FILE)"

migrate: db
	$(PY) manage.py migrate --noinput

run: export DEBUG ?= true
run: migrate
	@$(PY) manage.py seed_demo
	@echo ""
	@echo "  MedTrack is starting on http://127.0.0.1:$(PORT)/"
	@echo "  Demo login: demo@example.com / medtrack-demo (another family: other-family@example.com)"
	@echo "  E-mails (reminders, alerts, password resets) are written to var/mail/"
	@echo "  Periodic jobs (doses, reminders, alerts, expiries) run every minute: var/jobs.log"
	@echo "  The e-mail worker (background tasks) logs to var/worker.log"
	@echo ""
	@$(PY) manage.py run_jobs --interval 60 > var/jobs.log 2>&1 & jobs=$$!; \
	$(PY) manage.py db_worker --interval 2 --no-reload > var/worker.log 2>&1 & worker=$$!; \
	trap 'kill $$jobs $$worker 2>/dev/null; wait $$jobs $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

test: db
	$(PY) -m pytest -n $(WORKERS) $(PYTEST_ARGS)

# The database-behaviour tests alone (CI repeats them on the standalone server).
test-db: db
	$(PY) -m pytest -n $(WORKERS) -m db_behaviour $(PYTEST_ARGS)

# Seeds bench caregivers into the dev database (reused by later runs), measures the
# main pages against a floor view and writes var/bench/results.json and the table in
# docs/performance.md; fails when a target fails. small < 1 minute, large ~ minutes.
# Every part runs, then the target fails if any part printed a FAIL (docs/performance.md).
# BENCH_SIZE=small is the quick run; large is the measured one. The load run needs wrk
# (apt-get install -y wrk). Dose generation is its own target (several minutes).
bench: export DEBUG ?= true
bench: migrate
	@size=$${BENCH_SIZE:-small}; status=0; \
	BENCH_SIZE=$$size $(PY) -m bench.pages || status=1; \
	$(PY) bench/bench_exports.py --size $$size || status=1; \
	$(PY) bench/bench_jobs.py --size $$size || status=1; \
	$(PY) bench/bench_load.py --size $$size || status=1; \
	exit $$status

# Dose generation for 10,000 patients x 5 medications x 3 a day x 14 days (2.1 M doses)
# and its re-run, in its own database medtrack_bench (dropped and made again each run).
bench-generation: export DEBUG ?= true
bench-generation: migrate
	$(PY) bench/bench_generation.py --patients $${BENCH_PATIENTS:-10000}

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DEBUG=true $(VENV)/bin/mypy .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV)

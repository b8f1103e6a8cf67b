# Two commands: `make run` and `make test`. Everything else is set up on the way.
# `make serve` runs the production server (gunicorn); see docs/deploy.md.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# make serve: where gunicorn listens (the reverse proxy forwards here) and how many workers.
BIND ?= 127.0.0.1:8000
WORKERS ?= 3

# Compiled translations (.mo, git-ignored) are rebuilt from their .po whenever it changes.
PO := $(wildcard locale/*/LC_MESSAGES/*.po)
MO := $(PO:.po=.mo)

.PHONY: run serve test install translations bench clean

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c "import sys; sys.exit(sys.version_info[:2] != (3, 11))" || { echo "需要 Python 3.11"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed translations

translations: $(MO)

%.mo: %.po $(VENV)/.installed
	$(PY) manage.py compile_translations

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo "问卷入口: http://$(HOST):$(PORT)/s/    工作台: http://$(HOST):$(PORT)/"
	@# The task worker runs long work (close and seal, exports, imports) beside the server,
	@# and stops with it.
	$(PY) manage.py db_worker --no-startup-delay & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver $(HOST):$(PORT)

# Production (docs/deploy.md): needs DJANGO_SECRET_KEY, SURVEY_CODE_KEY, SURVEY_SEAL_KEY and
# DJANGO_ALLOWED_HOSTS.
# Static files are collected for WhiteNoise, which serves them from the app. gunicorn writes no
# access log (the reverse proxy keeps one without respondents' addresses); errors go to stderr.
serve: export DJANGO_SETTINGS_MODULE = credibility.settings.prod
serve: install
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py migrate --noinput
	$(VENV)/bin/gunicorn credibility.wsgi --bind $(BIND) --workers $(WORKERS) --timeout 120

# With DATABASE_URL set, the suite runs against that database.
test: install
	$(PY) -m pytest $(PYTEST_ARGS)

# make bench BENCH='dashboards --ballots 1000000' (needs DATABASE_URL to a PostgreSQL server)
bench: install
	$(PY) -m benchmarks $(BENCH)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache $(MO)

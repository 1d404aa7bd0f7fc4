# Newest Python >= 3.12 among python3.13, python3.12, python3 (pyenv installs included:
# their shims answer only for the active version, so look in the versions folder too).
PYTHON ?= $(shell for c in python3.13 python3.12 python3; do \
	for p in $$(command -v $$c) $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/*/bin/$$c 2>/dev/null | sort -rV); do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$p; exit 0; }; \
	done; done)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The demo server and the tests run with debug on unless told otherwise; production sets
# DJANGO_DEBUG=false and a real DJANGO_SECRET_KEY. `make serve` is production: debug off unless
# DJANGO_DEBUG is given (read before the default below sets it).
SERVE_DEBUG := $(if $(filter environment command,$(firstword $(origin DJANGO_DEBUG))),$(DJANGO_DEBUG),false)
export DJANGO_DEBUG ?= true

.PHONY: run serve manage lint test install bench check-python clean

check-python:
	@if [ -z "$(PYTHON)" ]; then \
		echo "This project needs Python 3.12 or newer (python3.13, python3.12 or python3); none was found." >&2; \
		exit 1; fi

$(STAMP): pyproject.toml | check-python
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	@mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo ""
	@echo "Demo logins (password 'demo' for all; demo data only):"
	@echo "  admin       setup (Django admin at http://127.0.0.1:8000/admin/)"
	@echo "  clerk       stock clerk"
	@echo "  production  production"
	@echo "  cashier     cashier"
	@echo "  viewer      read only"
	@echo ""
	$(PY) manage.py runserver 127.0.0.1:8000

# Production: gunicorn, static files collected for whitenoise, logs (access log included) on stdout.
serve: export DJANGO_DEBUG = $(SERVE_DEBUG)
serve: $(STAMP)
	@case "$$DJANGO_DEBUG" in 1|true|True|TRUE|yes|on) ;; *) \
		if [ -z "$$DJANGO_SECRET_KEY" ] || [ -z "$$DJANGO_ALLOWED_HOSTS" ]; then \
		echo "make serve runs with DJANGO_DEBUG=false: set DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS (README, Production)." >&2; \
		exit 1; fi;; esac
	@mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput
	exec $(VENV)/bin/gunicorn config.wsgi --bind "$${DJANGO_BIND:-127.0.0.1:8000}" \
		--workers "$${WEB_CONCURRENCY:-4}" --access-logfile - --error-logfile -

# Any management command on a development machine (debug on): make manage ARGS="verify_ledger"
manage: $(STAMP)
	$(PY) manage.py $(ARGS)

# The build's rules on the code: ruff (lint and format) and the apps' import contracts
# (import-linter), all in pyproject.toml. `make test` runs them first, as CI does.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

test: $(STAMP) lint
	$(PY) -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) manage.py bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var/*.sqlite3

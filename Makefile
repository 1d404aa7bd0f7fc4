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
# DJANGO_DEBUG=false and a real DJANGO_SECRET_KEY.
export DJANGO_DEBUG ?= true

.PHONY: run test install bench check-python clean

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

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) manage.py bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var/*.sqlite3

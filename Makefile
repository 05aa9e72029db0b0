# Two commands on a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test lint format bench migrate content demo clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

## run: install, migrate, load the library and demo data, then serve web + worker + beat
run: export DEBUG ?= true
run: export SITE_URL ?= http://127.0.0.1:$(PORT)
run: $(VENV)/.installed
	mkdir -p .broker/queue .broker/processed media
	$(PY) manage.py migrate --no-input
	$(PY) manage.py load_trigger_content
	$(PY) manage.py seed_demo
	@echo ""
	@echo "  Open http://127.0.0.1:$(PORT)/ and sign in with one of the demo accounts above."
	@echo "  Content editing: http://127.0.0.1:$(PORT)/admin/ (demo.editor)."
	@echo ""
	PORT=$(PORT) $(VENV)/bin/honcho -f Procfile.dev start

## test: lint, then the whole suite (SQLite and the file-system broker unless
## DATABASE_URL / REDIS_URL are set, as .ci/run does)
test: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	@if [ ! -x /usr/bin/chromium ] && [ -z "$$BROWSER_EXECUTABLE" ]; then \
		echo "No /usr/bin/chromium: installing Playwright's own Chromium for the browser tests"; \
		$(PY) -m playwright install chromium; \
	fi
	DJANGO_SETTINGS_MODULE=tests.settings $(PY) -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## bench: benchmarks, kept out of the test suite (see bench/README.md)
bench: $(VENV)/.installed-dev
	$(PY) -m bench.run

clean:
	rm -rf .broker staticfiles

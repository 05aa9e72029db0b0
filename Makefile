# Two commands on a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test browser lint format bench migrate content demo clean

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
	@$(MAKE) --no-print-directory browser
	DJANGO_SETTINGS_MODULE=tests.settings $(PY) -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

## browser: get a Chromium for the browser tests the way this machine allows: Debian's
## package when root, else Playwright's download. Never fails: without a browser the whole
## suite still runs and each browser test fails with one line saying how to get one.
browser: $(VENV)/.installed-dev
	@if [ -x /usr/bin/chromium ] || [ -n "$$BROWSER_EXECUTABLE" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "No /usr/bin/chromium: installing Debian's chromium for the browser tests"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
			>/dev/null) || echo "Could not install Debian's chromium."; \
	fi; \
	if [ ! -x /usr/bin/chromium ]; then \
		echo "No /usr/bin/chromium: trying Playwright's own Chromium (needs the internet)"; \
		$(PY) -m playwright install chromium >/dev/null 2>&1 \
			|| echo "No browser could be installed: the browser tests will fail, the rest runs."; \
	fi

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

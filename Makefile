# Two commands set everything up on a fresh machine with Python 3.11:
#   make run    virtual environment, install, serve the app on http://localhost:8501
#   make test   the same environment plus test tools and a Chromium, then pytest
# For a class: make serve WORKERS=4 (4 Streamlit processes behind HAProxy on PORT).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501
WORKERS ?= 2

.PHONY: run serve test install install-test chromium haproxy bench clean

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-test: requirements-test.txt $(VENV)/.installed
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-test.txt
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

# explorer_app.launch is `streamlit run app.py` with TensorFlow imported and warm first
run: install
	$(PY) -m explorer_app.launch app.py --server.port $(PORT)

# WORKERS Streamlit processes on PORT+100.. behind HAProxy on PORT, sticky by cookie
# (deploy/serve.py; deploy/README.md has the capacity per worker)
serve: install haproxy
	$(PY) deploy/serve.py --workers $(WORKERS) --port $(PORT)

haproxy:
	@./scripts/install-debian.sh haproxy haproxy "make serve and its test"

# Browser tests drive Debian's Chromium (Playwright cannot download a browser here).
chromium:
	@./scripts/install-debian.sh chromium "$${CHROMIUM:-/usr/bin/chromium}" "the browser tests"

test: install-test chromium haproxy
	$(PY) -m pytest

bench: install-test
	for f in bench/bench_*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts

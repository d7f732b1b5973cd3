# Two commands matter: `make demo` and `make test`. Both install what they need first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
UV_VERSION := 0.13.8
UV := .uv/bin/uv
VENV_PY := .venv/bin/python

.PHONY: install report-deps demo test test-fast lint airflow clean

# uv lives in its own tiny venv so that `uv sync` (which prunes .venv to the lock) never removes it.
$(UV):
	$(PYTHON) -m venv .uv
	.uv/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

.venv/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --quiet
	touch $@

install: .venv/.synced

report-deps:
	@scripts/ensure_report_deps.sh

demo: install report-deps
	$(VENV_PY) scripts/demo.py

test: install report-deps
	$(VENV_PY) -m pytest

test-fast: install report-deps
	$(VENV_PY) -m pytest -m "not slow"

lint: install
	.venv/bin/ruff check .

# The Airflow UI and scheduler on the embedded settings (http://localhost:8080).
airflow: install
	$(VENV_PY) -m etl.local airflow standalone

clean:
	rm -rf var

# The two commands of the README: `make run` (the whole service on SQLite and an in-process
# queue) and `make test` (the whole suite, real RabbitMQ and PostgreSQL included).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint install

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,units]'
	touch $(STAMP)

install: $(STAMP)

# `make run PORT=8080` serves on another port.
run: $(STAMP)
	$(VENV)/bin/docroute serve --development $(if $(PORT),--port $(PORT))

lint: $(STAMP)
	$(VENV)/bin/ruff check rules edxml foundation router consumers audit docroute tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

test: $(STAMP) lint
	$(VENV)/bin/pytest

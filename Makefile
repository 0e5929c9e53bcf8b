# pycompose: set-up, tests and the example app.
#   make up     install what is missing, run examples/flask-hello
#   make down   stop and remove the example app, its network and rules
#   make test   install what is missing, lint, run the whole suite
#   make stress the adversarial and soak suite

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
APT_PACKAGES := python3-venv busybox-static mmdebstrap nftables iproute2 \
	docker-registry skopeo umoci crun runc apache2-utils curl zstd ca-certificates \
	wrk catatonit conmon procps \
	gcc libc6-dev
PYTEST_ARGS ?=

.PHONY: all deps apt venv lint test unit integration e2e up down stress bench clean

all: test

# Debian packages the suite needs (and, for `make bench`, the peers it compares
# with); installs only those that are missing.
apt:
	@missing=""; for p in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		if [ "$$(id -u)" != 0 ]; then SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || { $(MAKE) apt && $(PYTHON) -m venv $(VENV); }
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@

venv: $(VENV)/.installed

deps: apt venv

lint: venv
	$(BIN)/ruff check specs orchestrator runtime tests bench
	$(BIN)/ruff format --check specs orchestrator runtime tests bench
	$(BIN)/mypy

test: deps lint
	$(BIN)/pytest $(PYTEST_ARGS)

unit: venv
	$(BIN)/pytest -m unit $(PYTEST_ARGS)

integration: deps
	$(BIN)/pytest -m integration $(PYTEST_ARGS)

e2e: deps
	$(BIN)/pytest -m e2e $(PYTEST_ARGS)

up: deps
	bash examples/flask-hello/up.sh

down: venv
	bash examples/flask-hello/down.sh

stress: deps
	$(BIN)/python -m tests.stress

bench: APT_PACKAGES += podman
bench: deps
	for b in bench/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

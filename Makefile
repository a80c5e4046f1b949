# routesim: `make run` runs the headline lab, `make test` runs the test suite.
# Both create .venv and install what they need (Debian packages via apt-get when missing).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TOPO ?= $(firstword $(wildcard topologies/multiline_bgp.yaml) topologies/static_triangle.yaml)
DEB_PKGS := iproute2 iputils-ping traceroute tcpdump tshark bird2 frr gobgpd procps psmisc util-linux python3-venv
PYTEST_ARGS ?=

.PHONY: run test deps debs lint clean down

deps: debs $(STAMP)

debs:
	@missing=""; for p in $(DEB_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" != 0 ]; then echo "missing Debian packages:$$missing (run as root or: sudo apt-get install$$missing)"; exit 1; fi; \
	  echo "installing Debian packages:$$missing"; \
	  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,plot]'
	touch $(STAMP)

run: deps
	$(VENV)/bin/routesim run $(TOPO)

lint: $(STAMP)
	$(VENV)/bin/ruff check routesim tests benchmarks
	$(VENV)/bin/ruff format --check routesim tests benchmarks

test: deps lint
	$(PY) -m pytest $(PYTEST_ARGS)

down: $(STAMP)
	$(VENV)/bin/routesim down --all

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis

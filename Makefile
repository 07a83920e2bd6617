# bbb.cluster_proxy — the two commands are `make demo` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON      ?= python3
VENV        := $(CURDIR)/.venv
BIN         := $(VENV)/bin
COLL_ROOT   := $(CURDIR)/.build/collections
COLL_LINK   := $(COLL_ROOT)/ansible_collections/bbb/cluster_proxy
STAMP       := $(VENV)/.installed-$(shell sha256sum requirements-test.txt | cut -c1-12)
SCENARIOS   ?= default mixed upgrade workflows

export ANSIBLE_COLLECTIONS_PATH := $(COLL_ROOT)
export ANSIBLE_FORCE_COLOR := 0
export PY_COLORS := 0
export MOLECULE_NO_LOG := false
export PATH := $(BIN):$(PATH)

.PHONY: help venv collection lab-image lint unit package-check ee molecule test demo demo-destroy clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): requirements-test.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-test.txt
	rm -f $(VENV)/.installed-* && touch $@

venv: $(STAMP) ## create .venv with the pinned tool chain

# Ansible resolves bbb.cluster_proxy.* from .build/collections, a symlink to this tree.
collection: $(COLL_LINK)
$(COLL_LINK):
	mkdir -p $(dir $@)
	ln -sfn $(CURDIR) $@

lab-image: ## build (or reuse) the local systemd image of the Molecule lab
	bash molecule/resources/image/build-image.sh

lint: venv collection ## yamllint, ansible-lint (production profile), ruff
	$(BIN)/yamllint --strict .
	$(BIN)/ansible-lint
	$(BIN)/ruff check plugins tests molecule
	$(BIN)/ruff format --check plugins tests molecule

unit: venv collection ## pytest unit tests of the filters and modules
	cd $(COLL_LINK) && PYTHONPATH=$(COLL_ROOT) $(BIN)/python -m pytest -q tests/unit

molecule: venv collection lab-image ## run the Molecule scenarios ($(SCENARIOS)) one after the other
	for s in $(SCENARIOS); do \
	  echo "=== molecule test -s $$s"; \
	  (cd $(COLL_LINK) && $(BIN)/molecule test -s $$s) || exit 1; \
	done

# Build the tarball, install it into an empty collections path and run the
# site playbook by FQCN from there (syntax check and the controller-side play).
package-check: venv ## build the collection tarball, install it cleanly, run playbooks by FQCN
	rm -rf .build/package && mkdir -p .build/package/collections
	$(BIN)/ansible-galaxy collection build --force --output-path .build/package .
	ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/.build/package/collections \
	  $(BIN)/ansible-galaxy collection install --offline -p .build/package/collections .build/package/bbb-cluster_proxy-*.tar.gz
	cd .build/package && for p in site validate preflight drift rollback acceptance health; do \
	  ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/.build/package/collections \
	  $(BIN)/ansible-playbook -i $(CURDIR)/tests/package/inventory.ini bbb.cluster_proxy.$$p --syntax-check || exit 1; done
	cd .build/package && ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/.build/package/collections \
	  $(BIN)/ansible-playbook -i $(CURDIR)/tests/package/inventory.ini bbb.cluster_proxy.site --limit localhost

# ansible-builder writes the EE build context; building the image needs a registry.
ee: venv ## write the execution-environment build context to .build/ee/context and check it
	rm -rf .build/ee && mkdir -p .build/ee
	$(BIN)/ansible-galaxy collection build --force --output-path .build/ee .
	mv .build/ee/bbb-cluster_proxy-*.tar.gz .build/ee/bbb-cluster_proxy.tar.gz
	$(BIN)/ansible-builder create --file execution-environment.yml --context .build/ee/context
	$(BIN)/python tests/ee/check_context.py .build/ee/context

test: lint unit package-check ee molecule ## everything CI runs: lint, unit, packaging, Molecule
	@echo "make test: all green"

demo: venv collection lab-image ## build the lab (proxy + 2 simulated BBB 3.0 nodes), converge it, print what to open
	cd $(COLL_LINK) && $(BIN)/molecule converge -s default
	cd $(COLL_LINK) && $(BIN)/molecule verify -s default
	@bash molecule/resources/demo-info.sh

demo-destroy: venv collection ## remove the lab containers
	cd $(COLL_LINK) && $(BIN)/molecule destroy -s default

clean: ## remove build products (keeps .venv and the lab image)
	rm -rf .build tests/output *.tar.gz

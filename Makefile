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

.PHONY: help venv collection lab-image lint unit package-check ee docs sanity release molecule test bench demo demo-destroy clean

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
	$(BIN)/ruff check plugins tests molecule tools
	$(BIN)/ruff format --check plugins tests molecule tools
	cd $(COLL_LINK) && $(BIN)/antsibull-docs lint-collection-docs --plugin-docs --validate-collection-refs self .
	cd $(COLL_LINK) && $(BIN)/antsibull-changelog lint
	$(BIN)/python tools/render_docs.py --check

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
	cd .build/package && for p in site validate preflight drift rollback acceptance health controller; do \
	  ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/.build/package/collections \
	  $(BIN)/ansible-playbook -i $(CURDIR)/tests/package/inventory.ini bbb.cluster_proxy.$$p --syntax-check || exit 1; done
	cd .build/package && ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/.build/package/collections \
	  $(BIN)/ansible-playbook -i $(CURDIR)/tests/package/inventory.ini bbb.cluster_proxy.site --limit localhost

# ansible-test sanity of the collection as shipped (the built tarball, so what
# galaxy.yml's build_ignore leaves out, the Molecule lab and tools/, is not in
# it). ansible-test wants the collection at .../ansible_collections/bbb/cluster_proxy,
# in git, and fetches a get-pip script from the network: the offline stand-in
# goes where ansible-test looks first.
SANITY_TREE := $(CURDIR)/.build/sanity/ansible_collections/bbb/cluster_proxy
sanity: venv ## ansible-test sanity of the collection (local venv, no containers)
	pip=$$($(BIN)/python -c 'import ansible_test._internal.python_requirements as r, inspect, re; print(re.search(r"pip=.([0-9.]+)", inspect.getsource(r.get_venv_packages)).group(1))') && \
	  mkdir -p ~/.ansible/test/cache && cp tests/sanity/get_pip_standin.py ~/.ansible/test/cache/get_pip_$${pip//./_}.py
	rm -rf .build/sanity && mkdir -p $(SANITY_TREE)
	$(BIN)/ansible-galaxy collection build --force --output-path .build/sanity .
	tar -xzf .build/sanity/bbb-cluster_proxy-*.tar.gz -C $(SANITY_TREE)
	printf "tests/output/\n" >$(SANITY_TREE)/.gitignore
	cd $(SANITY_TREE) && git init -q && git add -A
	cd $(SANITY_TREE) && $(BIN)/ansible-test sanity --venv --python 3.11 --requirements --color no

docs: venv ## render docs/roles/*.md and docs/filters.md from the argument specs and plugin docs
	$(BIN)/python tools/render_docs.py

# ansible-builder writes the EE build context; building the image needs a registry.
ee: venv ## write the execution-environment build context to .build/ee/context and check it
	rm -rf .build/ee && mkdir -p .build/ee
	$(BIN)/ansible-galaxy collection build --force --output-path .build/ee .
	mv .build/ee/bbb-cluster_proxy-*.tar.gz .build/ee/bbb-cluster_proxy.tar.gz
	$(BIN)/ansible-builder create --file execution-environment.yml --context .build/ee/context
	$(BIN)/python tests/ee/check_context.py .build/ee/context

# A release: CHANGELOG.rst for galaxy.yml's version from the fragments (bump the
# version in galaxy.yml first), then the tarball, installed into a clean
# collections path and run by FQCN (package-check); the tarball is left in .build/release.
release: venv collection ## write the changelog, build the tarball, check it installs cleanly
	cd $(COLL_LINK) && $(BIN)/antsibull-changelog lint
	cd $(COLL_LINK) && if ls changelogs/fragments/*.yml >/dev/null 2>&1; then \
	  $(BIN)/antsibull-changelog release; else $(BIN)/antsibull-changelog generate; fi
	$(MAKE) package-check
	rm -rf .build/release && mkdir -p .build/release && cp .build/package/bbb-cluster_proxy-*.tar.gz .build/release/
	@ls -l .build/release

test: lint unit package-check ee sanity molecule ## everything CI runs: lint, unit, packaging, Molecule
	@echo "make test: all green"

# Benchmarks in containers of their own (bench-*, network bbb-bench, removed at the end):
# client asset delivery (wrk), proxy config at 10/100/500 nodes, rollout cost at 2/8/16 nodes.
# Not part of `make test`, no timing asserts. BENCH_QUICK=1 for a short smoke run (see tools/bench.py).
bench: venv collection lab-image ## benchmarks (assets, scale, rollout) -> docs/benchmarks.md; BENCH_QUICK=1 smoke run
	$(BIN)/python tools/bench.py

demo: venv collection lab-image ## build the lab (proxy + 2 simulated BBB 3.0 nodes), converge it, print what to open
	cd $(COLL_LINK) && $(BIN)/molecule converge -s default
	cd $(COLL_LINK) && $(BIN)/molecule verify -s default
	@bash molecule/resources/demo-info.sh

demo-destroy: venv collection ## remove the lab containers
	cd $(COLL_LINK) && $(BIN)/molecule destroy -s default

clean: ## remove build products (keeps .venv and the lab image)
	rm -rf .build tests/output *.tar.gz

# bbb.cluster_proxy — the two commands are `make demo` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# The newest ansible-core wants Python >= 3.12: 3.13 or 3.12 from PATH or pyenv (tools/matrix.sh).
PYTHON      ?= $(shell bash tools/matrix.sh python newest 2>/dev/null)
VENV        := $(CURDIR)/.venv
BIN         := $(VENV)/bin
COLL_ROOT   := $(CURDIR)/.build/collections
COLL_LINK   := $(COLL_ROOT)/ansible_collections/bbb/cluster_proxy
STAMP       := $(VENV)/.installed-$(shell sha256sum requirements-test.txt | cut -c1-12)
SCENARIOS   ?= default mixed upgrade workflows operations
MATRIX_LEGS ?= oldest
VERSION     := $(shell sed -n 's/^version: *//p' galaxy.yml)
TARBALL     := $(CURDIR)/.build/dist/bbb-cluster_proxy-$(VERSION).tar.gz
RESULTS     := $(CURDIR)/.build/results
# BBB_TEST_SKIP=browser,nginx,matrix leaves those suites out (named in the closing lines);
# without it a missing prerequisite fails (tests/prerequisites.py).
export BBB_TEST_SKIP ?=

export ANSIBLE_COLLECTIONS_PATH := $(COLL_ROOT)
export ANSIBLE_FORCE_COLOR := 0
export PY_COLORS := 0
export MOLECULE_NO_LOG := false
export PATH := $(BIN):$(PATH)

.PHONY: help venv collection setup-demo setup-test lab-image lint unit tarball package-check ee docs docsite sanity release \
  molecule matrix matrix-checks matrix-molecule ee-image node-pythons test test-steps test-lab test-workflows test-checks bench demo \
  demo-destroy clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

# .venv/matrix/ (the oldest core's tool chain) and .venv/node/ (the nodes' Pythons) are kept when .venv is made anew.
$(STAMP): requirements-test.txt
	@test -n "$(PYTHON)" || { bash tools/matrix.sh --python newest; exit 1; }
	if ! $(BIN)/python -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
	  find $(VENV) -mindepth 1 -maxdepth 1 ! -name matrix ! -name node -exec rm -rf {} + 2>/dev/null || true; \
	  $(PYTHON) -m venv $(VENV); fi
	bash tools/pip-install.sh $(VENV) -r requirements-test.txt
	$(BIN)/python -c 'import ansible, molecule, testinfra, playwright, axe_playwright_python, publicsuffixlist'
	bash tools/matrix.sh awx $(VENV)
	rm -f $(VENV)/.installed-* && touch $@

venv: $(STAMP) ## create .venv with the pinned tool chain

# Ansible resolves bbb.cluster_proxy.* from .build/collections, a symlink to this tree.
collection: $(COLL_LINK)
$(COLL_LINK):
	mkdir -p $(dir $@)
	ln -sfn $(CURDIR) $@

setup-demo: ## install (as root) and start what make demo needs: Docker, debootstrap, Chromium, certutil
	bash tools/setup.sh demo

setup-test: ## install (as root) and start what make test needs: Docker, debootstrap, nginx, Chromium, certutil
	bash tools/setup.sh test

# The lab's systemd images: bookworm (nodes, default proxy), bullseye and trixie (the proxies of the upgrade and
# mixed scenarios: nginx 1.18 and 1.26), built side by side. A lock per suite: the streams of `make test` that
# need the same image wait for one build instead of building it twice.
LAB_SUITES ?= bookworm bullseye trixie
lab-image: ## build (or reuse) the local systemd images of the Molecule lab
	mkdir -p .build; pids=; for s in $(LAB_SUITES); do \
	  flock .build/lab-image-$$s.lock bash molecule/resources/image/build-image.sh $$s > .build/lab-image-$$s.log 2>&1 & \
	  pids="$$pids $$!"; done; \
	  failed=; for p in $$pids; do wait $$p || failed=1; done; \
	  for s in $(LAB_SUITES); do tail -n 30 .build/lab-image-$$s.log; done; test -z "$$failed"

lint: venv collection ## yamllint, ansible-lint (production profile), ruff
	$(BIN)/yamllint --strict .
	$(BIN)/ansible-lint
	$(BIN)/ruff check plugins tests molecule tools
	$(BIN)/ruff format --check plugins tests molecule tools
	cd $(COLL_LINK) && $(BIN)/antsibull-docs lint-collection-docs --plugin-docs --validate-collection-refs self .
	cd $(COLL_LINK) && $(BIN)/antsibull-changelog lint
	$(BIN)/python tools/check_release.py version-added
	$(BIN)/python tools/check_release.py fragments
	$(BIN)/python tools/render_docs.py --check

unit: venv collection ## pytest unit tests of the filters and modules
	mkdir -p $(RESULTS)
	cd $(COLL_LINK) && PYTHONPATH=$(COLL_ROOT) $(BIN)/python -m pytest -q -p no:cacheprovider tests/unit \
	  --junitxml=$(RESULTS)/unit.xml -o junit_suite_name=unit

molecule: venv collection lab-image ## run the Molecule scenarios ($(SCENARIOS)) one after the other
	mkdir -p $(RESULTS)
	for s in $(SCENARIOS); do \
	  echo "=== molecule test -s $$s"; \
	  cd $(COLL_LINK) && PYTEST_ADDOPTS="--junitxml=$(RESULTS)/molecule-$$s.xml -o junit_suite_name=molecule-$$s" \
	    $(STEP) scenario-$$s -- $(BIN)/molecule test -s $$s || exit 1; \
	done

# The collection tarball, built once and again only when a file of the checkout
# changed (package-check, ee, sanity and the matrix use it).
SOURCES := $(wildcard $(shell git ls-files -co --exclude-standard 2>/dev/null))
tarball: $(TARBALL) ## build the collection tarball into .build/dist
$(TARBALL): $(SOURCES) | $(STAMP)
	rm -rf .build/dist && mkdir -p .build/dist
	$(BIN)/ansible-galaxy collection build --force --output-path .build/dist .

# Install the tarball into an empty collections path and run the playbooks by
# FQCN from there (syntax check and the controller-side play of site).
package-check: venv tarball ## install the built tarball cleanly, run playbooks by FQCN
	rm -rf .build/package && mkdir -p .build/package/collections
	ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/.build/package/collections \
	  $(BIN)/ansible-galaxy collection install --offline -p .build/package/collections $(TARBALL)
	cd .build/package && for p in site validate preflight drift rollback acceptance health collect controller; do \
	  ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/.build/package/collections \
	  $(BIN)/ansible-playbook -i $(CURDIR)/tests/package/inventory.ini bbb.cluster_proxy.$$p --syntax-check || exit 1; done
	cd .build/package && ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/.build/package/collections \
	  $(BIN)/ansible-playbook -i $(CURDIR)/tests/package/inventory.ini bbb.cluster_proxy.site --limit localhost

# ansible-test sanity of the collection as shipped (the built tarball), with the
# offline get-pip stand-in where ansible-test looks first (tools/sanity.sh).
sanity: venv tarball ## ansible-test sanity of the built collection (local venv, no containers)
	bash tools/sanity.sh $(VENV) $(TARBALL) $(CURDIR)/.build/sanity

docs: venv ## render docs/roles/*.md and docs/filters.md, and the docsite's RST of the guides (docs/docsite/rst)
	$(BIN)/python tools/render_docs.py
	bash tools/docsite.sh rst

docsite: venv collection ## build the docsite (antsibull-docs, Sphinx; warnings are errors) into .build/docsite
	bash tools/docsite.sh build $(VENV) $(CURDIR)/.build/docsite

# The execution environment as AWX users build it (execution-environment.yml, ansible-builder, a registry's base
# image; docs/awx.md): `make ee` writes and checks its build context. The same contents built here without a registry
# (tools/ee_image.sh, tests/ee/Containerfile, on the lab's trixie image): `make ee-image`; the workflows scenario runs
# the acceptance job with the browser walk-through inside it through ansible-runner, as AWX does (test_awx_runner.py).
ee-image: venv tarball ## build the execution environment's image bbb-cluster-proxy-ee:<version> (no registry)
	$(MAKE) --no-print-directory lab-image LAB_SUITES=trixie
	flock .build/ee-image.lock bash tools/ee_image.sh $(TARBALL)

ee: venv tarball ## write the execution-environment build context to .build/ee/context and check it
	rm -rf .build/ee && mkdir -p .build/ee
	cp $(TARBALL) .build/ee/bbb-cluster_proxy.tar.gz
	$(BIN)/ansible-builder create --file execution-environment.yml --context .build/ee/context
	$(BIN)/python tests/ee/check_context.py .build/ee/context

# A release (galaxy.yml's version, bumped first): every version_added names a release, the changelog from the
# fragments (CHANGELOG.rst, changelogs/changelog.yaml), the tarball installed into a clean collections path and
# run by FQCN (package-check), the Galaxy importer's checks (tools/galaxy_importer.sh), then a commit of the
# changelog and the annotated tag <version>. The tarball is left in .build/release. Starts from a clean checkout.
release: venv collection ## release galaxy.yml's version: changelog, tarball, checks, Galaxy importer, commit and tag
	@test -z "$$(git status --porcelain)" || { echo "release: commit or stash your changes first" >&2; exit 1; }
	@! git rev-parse -q --verify "refs/tags/$(VERSION)" >/dev/null || { echo "release: tag $(VERSION) exists: bump version in galaxy.yml" >&2; exit 1; }
	@grep -q '^repository: https://' galaxy.yml || { echo "release: galaxy.yml has no repository: Galaxy's importer requires the project's public URL (and ansible-lint's galaxy[no-repository]); set it, drop the skip in .config/ansible-lint.yml, then release" >&2; exit 1; }
	$(BIN)/python tools/check_release.py version-added --release $(VERSION)
	cd $(COLL_LINK) && $(BIN)/antsibull-changelog lint
	cd $(COLL_LINK) && if ls changelogs/fragments/*.yml >/dev/null 2>&1; then \
	  $(BIN)/antsibull-changelog release; else $(BIN)/antsibull-changelog generate; fi
	$(MAKE) --no-print-directory package-check
	bash tools/galaxy_importer.sh $(TARBALL)
	rm -rf .build/release && mkdir -p .build/release && cp $(TARBALL) .build/release/
	git add -A CHANGELOG.rst changelogs && git commit -q -m "Release $(VERSION)"
	git tag -a $(VERSION) -m "bbb.cluster_proxy $(VERSION)"
	@echo "release: $(VERSION) tagged; .build/release/$(notdir $(TARBALL))"

# The modules on the BBB nodes' Pythons (3.8 Ubuntu 20.04, 3.10 22.04, 3.12 24.04; PATH or pyenv): nothing newer
# than 3.8 (vermin, tests/node/newer_api.py), ansible-test 2.16's compile and import tests of the built tarball, the
# unit tests of the node's code with 2.16's module_utils -> node-py<v>.xml (tools/node_pythons.sh).
node-pythons: collection tarball ## modules and module_utils on the nodes' Pythons 3.8, 3.10, 3.12: compile, import, unit
	bash tools/node_pythons.sh $(TARBALL)

# The ansible-core matrix: the main tool chain is the newest core (it runs
# everything); the oldest core galaxy.yml claims (tools/matrix.sh,
# tests/matrix/oldest.txt) runs lint, unit tests, sanity and the default
# Molecule scenario.
matrix: matrix-checks matrix-molecule ## the oldest ansible-core ($(MATRIX_LEGS)): lint, unit, sanity, Molecule default

matrix-checks: collection tarball
	mkdir -p $(RESULTS)
	for leg in $(MATRIX_LEGS); do \
	  $(STEP) matrix-venv-$$leg -- bash tools/matrix.sh venv $$leg || exit 1; \
	  $(STEP) matrix-lint-$$leg -- bash tools/matrix.sh lint $$leg || exit 1; \
	  bash tools/matrix.sh unit $$leg || exit 1; \
	  $(STEP) matrix-sanity-$$leg -- bash tools/matrix.sh sanity $$leg $(TARBALL) || exit 1; \
	done

matrix-molecule: collection lab-image
	mkdir -p $(RESULTS)
	for leg in $(MATRIX_LEGS); do \
	  $(STEP) matrix-venv-$$leg -- bash tools/matrix.sh venv $$leg || exit 1; \
	  $(STEP) scenario-default-$$leg -- bash tools/matrix.sh molecule $$leg || exit 1; \
	done

# Everything, after tools/setup.sh has installed what is missing (as root) and
# started dockerd. Each step is timed and recorded in .build/results; the
# closing lines count every test and name what was skipped (BBB_TEST_SKIP).
test: ## everything CI runs: set-up, lint, unit, packaging, EE, sanity, Molecule, the oldest ansible-core
	bash tools/setup.sh test
	rm -rf $(RESULTS) $(LOGS) && mkdir -p $(RESULTS) $(LOGS)
	start=$$(date +%s); $(MAKE) --no-print-directory test-steps || failed=1; \
	  echo "make test: $$(( $$(date +%s) - start )) s"; \
	  $(BIN)/python tools/test_summary.py report $(RESULTS) --expect $(EXPECTED) && test -z "$${failed:-}"

LOGS = $(CURDIR)/.build/logs
comma := ,
# The matrix is left out only when BBB_TEST_SKIP names it (or all) as a word, as tests/prerequisites.py reads it.
SKIP_MATRIX = $(filter matrix all,$(subst $(comma), ,$(BBB_TEST_SKIP)))
EXPECTED = unit step-lint step-docsite step-package-check step-ee step-ee-image step-sanity step-node-pythons \
  $(foreach v,3.8 3.10 3.12,node-py$(v)) $(foreach s,$(SCENARIOS),molecule-$(s)) \
  $(if $(SKIP_MATRIX),,$(foreach l,$(MATRIX_LEGS),unit-$(l) molecule-default-$(l)))
STEP = $(BIN)/python tools/test_summary.py step $(RESULTS)

# Three streams side by side, of about the same length (the machines have 2 cores; a Molecule scenario keeps
# about 0.7 of one busy, the checks about one):
# - lab: the lab images, then the scenarios whose containers share names one after the other (default, mixed,
#   upgrade), then default on the oldest core; live on the terminal;
# - workflows: the docsite, then the operator workflows scenario (containers of its own names; the bookworm image);
# - checks: lint, unit, packaging, EE, sanity, the oldest core's checks (no image needed, so they run while the
#   images are built), then the operations scenario (containers of its own names).
# The output of the last two is in .build/logs/ (the end of a failed step is shown).
test-steps: venv collection tarball
	$(MAKE) --no-print-directory -j3 test-lab test-workflows test-checks

LAB_STREAM = $(filter-out workflows operations,$(SCENARIOS))
test-lab:
	$(STEP) lab-image --log $(LOGS)/lab-image.log -- $(MAKE) --no-print-directory lab-image
	$(STEP) ee-image --log $(LOGS)/ee-image.log -- $(MAKE) --no-print-directory ee-image
	$(if $(LAB_STREAM),$(MAKE) --no-print-directory molecule SCENARIOS="$(LAB_STREAM)")
	$(if $(SKIP_MATRIX),$(BIN)/python tools/test_summary.py skip $(RESULTS) matrix "left out by BBB_TEST_SKIP=$(BBB_TEST_SKIP)",$(MAKE) --no-print-directory matrix-molecule)

test-workflows:
	$(STEP) docsite --log $(LOGS)/docsite.log -- $(MAKE) --no-print-directory docsite
	$(if $(filter workflows,$(SCENARIOS)),$(STEP) workflows --log $(LOGS)/scenario-workflows.log -- $(MAKE) --no-print-directory molecule SCENARIOS=workflows LAB_SUITES=bookworm)

test-checks:
	$(STEP) lint --log $(LOGS)/lint.log -- $(MAKE) --no-print-directory lint
	$(STEP) unit-run --log $(LOGS)/unit.log -- $(MAKE) --no-print-directory unit
	$(STEP) package-check --log $(LOGS)/package-check.log -- $(MAKE) --no-print-directory package-check
	$(STEP) ee --log $(LOGS)/ee.log -- $(MAKE) --no-print-directory ee
	$(STEP) sanity --log $(LOGS)/sanity.log -- $(MAKE) --no-print-directory sanity
	$(if $(SKIP_MATRIX),,$(STEP) matrix-checks --log $(LOGS)/matrix-checks.log -- $(MAKE) --no-print-directory matrix-checks)
	$(STEP) node-pythons --log $(LOGS)/node-pythons.log -- $(MAKE) --no-print-directory node-pythons
	$(if $(filter operations,$(SCENARIOS)),$(STEP) operations --log $(LOGS)/scenario-operations.log -- $(MAKE) --no-print-directory molecule SCENARIOS=operations LAB_SUITES=bookworm)

# Benchmarks in containers of their own (bench-*, network bbb-bench, removed at the end):
# client delivery with and without keepalive and cache (wrk, node and proxy CPU per request), the asset cache
# at 500 nodes, proxy config at 10/100/500 nodes on nginx 1.18, 1.22 and 1.26, rollout cost at 2/8/16 nodes.
# Not part of `make test`, no timing asserts. BENCH_QUICK=1 for a short smoke run (see tools/bench.py).
bench: venv collection lab-image ## benchmarks (assets, cache500, scale, rollout) -> docs/benchmarks.md; BENCH_QUICK=1 smoke run
	$(BIN)/python tools/bench.py

demo: LAB_SUITES = bookworm
demo: setup-demo venv collection lab-image ## build the lab (proxy + 2 simulated BBB 3.0 nodes), converge it, print what to open
	cd $(COLL_LINK) && $(BIN)/molecule converge -s default
	cd $(COLL_LINK) && $(BIN)/molecule verify -s default
	@bash molecule/resources/demo-info.sh

demo-destroy: venv collection ## remove the lab containers
	cd $(COLL_LINK) && $(BIN)/molecule destroy -s default

clean: ## remove build products (keeps .venv and the lab image)
	rm -rf .build tests/output *.tar.gz

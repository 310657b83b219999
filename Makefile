# segmentlog: one Makefile, one fragment per part in mk/*.mk.
#
#   make demo    build everything and run the examples of every language against one log
#   make test    every test of every part (what CI runs)
#   make bench   benchmarks (BENCH_QUICK=1 for a short run)
#
# Each fragment adds its own targets to these lists, so parts can land independently:
#   TEST_TARGETS   run by `make test`
#   DEMO_STEPS     run in order by `make demo` (each gets DEMO_DIR, the shared demo log)
#   BENCH_TARGETS  run by `make bench`
#   INSTALL_TARGETS run by `make install PREFIX=...`
#   DIST_TARGETS   run by `make dist`: release artifacts into dist/ (mk/85-dist.mk)
#   TEST_DIST_TARGETS run by `make test-dist`: install the artifacts as users would
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

ROOT := $(abspath .)
CARGO ?= cargo
PREFIX ?= /usr/local
DEMO_DIR ?= $(ROOT)/target/demo-log
export DEMO_DIR

TEST_TARGETS :=
DEMO_STEPS :=
BENCH_TARGETS :=
INSTALL_TARGETS :=
DIST_TARGETS :=
TEST_DIST_TARGETS :=

include $(sort $(wildcard mk/*.mk))

.PHONY: help test demo bench install lint fmt demo-reset
help:
	@echo "make demo   - build everything and run the examples against one log"
	@echo "make test   - run every test"
	@echo "make bench  - run the benchmarks (BENCH_QUICK=1 for a short run)"
	@echo "make install PREFIX=/dir - install the library, header, pkg-config file and CLI"

test: lint $(TEST_TARGETS)
	@echo "make test: all parts passed ($(TEST_TARGETS))"

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all

demo-reset:
	rm -rf "$(DEMO_DIR)"

# Tells the story in order (examples/demo.sh): each step goes on from the one before on the
# same log.
demo: demo-reset
	@DEMO_STEPS="$(DEMO_STEPS)" ROOT="$(ROOT)" bash examples/demo.sh

bench: $(BENCH_TARGETS)

install: $(INSTALL_TARGETS)

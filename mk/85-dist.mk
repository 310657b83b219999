# dist: the release artifacts of every part for every target we build, into dist/, and the
# tests that install them the way users would (local PyPI and npm registries, CMake and
# pkg-config scratch projects, `cargo publish --dry-run`). CI runs `make test-dist` after
# `make test-platforms`, which set up the cross toolchains (platforms/run setup).
#
# The Python wheels and Node addons are built with the cargo profile `dist` (Cargo.toml): release
# code without debug info, symbols stripped. The C archives are the release builds the tests ran,
# stripped (ffi/dist.sh).
DIST_DIR := $(ROOT)/dist
TEST_DIST_TARGETS += test-dist-crates

.PHONY: dist test-dist dist-clean test-dist-crates

dist-clean:
	rm -rf "$(DIST_DIR)"

dist: $(DIST_TARGETS)
	cd "$(DIST_DIR)" && find . -type f ! -name SHA256SUMS -printf '%P\n' | LC_ALL=C sort \
		| xargs -d '\n' sha256sum > SHA256SUMS
	@echo "make dist: $$(wc -l < "$(DIST_DIR)/SHA256SUMS") files in dist/ (SHA256SUMS)"

# Rust: `cargo publish --dry-run` of every publishable crate and the README's example against
# the packaged crate (tests/release/crates.sh).
test-dist-crates:
	CARGO="$(CARGO)" $(ROOT)/tests/release/crates.sh

test-dist: dist $(TEST_DIST_TARGETS)
	@echo "make test-dist: all passed ($(TEST_DIST_TARGETS))"

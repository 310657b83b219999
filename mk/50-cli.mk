# cli: the `segmentlog` operator tool (package `segmentlog-cli`, binary `segmentlog`).
TEST_TARGETS += test-cli
DEMO_STEPS += demo-cli
INSTALL_TARGETS += install-cli

CLI_BIN := $(ROOT)/target/release/segmentlog

.PHONY: cli-build test-cli demo-cli install-cli test-cli-install
cli-build:
	$(CARGO) build --release -q -p segmentlog-cli

test-cli: test-cli-install
	$(CARGO) test -p segmentlog-cli --release

# The demo's closing summary: what the other languages left in the shared log.
demo-cli: cli-build
	@echo "cli: \$$ segmentlog info $(DEMO_DIR)"
	@"$(CLI_BIN)" info "$(DEMO_DIR)"
	@echo "cli: \$$ segmentlog verify $(DEMO_DIR)"
	@"$(CLI_BIN)" verify "$(DEMO_DIR)"
	@echo "cli: \$$ segmentlog dump $(DEMO_DIR) --count 5"
	@"$(CLI_BIN)" dump "$(DEMO_DIR)" --count 5

install-cli: cli-build
	install -d "$(DESTDIR)$(PREFIX)/bin"
	install -m 0755 "$(CLI_BIN)" "$(DESTDIR)$(PREFIX)/bin/segmentlog"

# Both install paths the issue promises (`make install`, `cargo install --path cli`), into
# throwaway prefixes; each installed binary must run. --offline: the build before it fetched
# every dependency, and it must not re-resolve against a newer index.
test-cli-install:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(MAKE) --no-print-directory install-cli PREFIX="$$tmp/make" && \
	"$$tmp/make/bin/segmentlog" --version && \
	CARGO_TARGET_DIR="$(ROOT)/target" $(CARGO) install --quiet --offline --path cli --root "$$tmp/cargo" && \
	"$$tmp/cargo/bin/segmentlog" --version

# cli: the `commitlog` operator tool (package `commitlog-cli`, binary `commitlog`).
TEST_TARGETS += test-cli
DEMO_STEPS += demo-cli
INSTALL_TARGETS += install-cli

CLI_BIN := $(ROOT)/target/release/commitlog

.PHONY: cli-build test-cli demo-cli install-cli test-cli-install
cli-build:
	$(CARGO) build --release -q -p commitlog-cli

test-cli: test-cli-install
	$(CARGO) test -p commitlog-cli --release

# The demo's closing summary: what the other languages left in the shared log.
demo-cli: cli-build
	@echo "cli: \$$ commitlog info $(DEMO_DIR)"
	@"$(CLI_BIN)" info "$(DEMO_DIR)"
	@echo "cli: \$$ commitlog verify $(DEMO_DIR)"
	@"$(CLI_BIN)" verify "$(DEMO_DIR)"
	@echo "cli: \$$ commitlog dump $(DEMO_DIR) --count 5"
	@"$(CLI_BIN)" dump "$(DEMO_DIR)" --count 5

install-cli: cli-build
	install -d "$(DESTDIR)$(PREFIX)/bin"
	install -m 0755 "$(CLI_BIN)" "$(DESTDIR)$(PREFIX)/bin/commitlog"

# Both install paths the issue promises (`make install`, `cargo install --path cli`), into
# throwaway prefixes; each installed binary must run. --offline: the build before it fetched
# every dependency, and it must not re-resolve against a newer index.
test-cli-install:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(MAKE) --no-print-directory install-cli PREFIX="$$tmp/make" && \
	"$$tmp/make/bin/commitlog" --version && \
	CARGO_TARGET_DIR="$(ROOT)/target" $(CARGO) install --quiet --offline --path cli --root "$$tmp/cargo" && \
	"$$tmp/cargo/bin/commitlog" --version

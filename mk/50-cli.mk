# cli: the `commitlog` operator tool (package `commitlog-cli`, binary `commitlog`).
DEMO_STEPS += demo-cli
INSTALL_TARGETS += install-cli

CLI_BIN := $(ROOT)/target/release/commitlog

.PHONY: test-cli demo-cli install-cli test-cli-install
test-cli: test-cli-install
	$(CARGO) test -p commitlog-cli --release

# The demo's closing summary: what the other languages left in the shared log.
demo-cli:
	$(CARGO) build --release -q -p commitlog-cli
	@echo "== commitlog info: what the log holds"
	"$(CLI_BIN)" info "$(DEMO_DIR)"
	@echo "== commitlog verify: every checksum and index entry"
	"$(CLI_BIN)" verify "$(DEMO_DIR)"
	@echo "== commitlog dump --count 5: the first records"
	"$(CLI_BIN)" dump "$(DEMO_DIR)" --count 5

install-cli:
	$(CARGO) build --release -q -p commitlog-cli
	install -d "$(DESTDIR)$(PREFIX)/bin"
	install -m 0755 "$(CLI_BIN)" "$(DESTDIR)$(PREFIX)/bin/commitlog"

# Both install paths the issue promises, into throwaway prefixes; each installed binary must run.
test-cli-install:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(MAKE) --no-print-directory install-cli PREFIX="$$tmp/make" && \
	"$$tmp/make/bin/commitlog" --version && \
	CARGO_TARGET_DIR="$(ROOT)/target" $(CARGO) install --quiet --offline --path cli --root "$$tmp/cargo" && \
	"$$tmp/cargo/bin/commitlog" --version

# node: the napi-rs addon (crate segmentlog-node) and the npm package `segmentlog`, in bindings/node.
#
# `npm ci` installs the napi CLI (pinned by package-lock.json); `napi build` compiles the addon
# in release into bindings/node/segmentlog.linux-x64-gnu.node (cargo target dir
# target/x86_64-unknown-linux-gnu, since the CLI passes --target) and regenerates index.d.ts,
# which is committed: test-node fails if the regenerated file differs.
# The benchmark's own dependencies (better-sqlite3, hypercore) live in bench/package.json and are
# installed only by bench-node, which writes bench/results/node.json for bench-report
# (BENCH_QUICK=1: the short form; --expose-gc lets it collect garbage before each workload).
#
# Release (napi-rs's layout): the main package `segmentlog` holds no binary; its release tarball
# lists one package per platform, bindings/node/npm/<platform>/ (segmentlog-linux-x64-gnu,
# -linux-arm64-gnu, -win32-x64-gnu), as optionalDependencies at its own version, and index.js
# loads the one npm installed (or, in a checkout, the addon `napi build` put beside it).
#   make dist-node       the addon for each target (profile dist; Linux ones linked against
#                        glibc 2.17 with zig), the platform tarballs and the main tarball in
#                        dist/npm/ (bindings/node/scripts/dist.sh)
#   make test-dist-node  publishes them to a local verdaccio and installs them from it into a
#                        clean directory with no Rust on PATH; the README's example runs under
#                        import and require, here and, with Node's own builds (from npm), on
#                        arm64 Linux in qemu-user and Windows in wine
#                        (bindings/node/registry-test/run.sh)
# `npm pack` refuses a platform package without its addon (npm/pack-guard.js) and the main
# package without its platform packages (scripts/prepack.js), so in bindings/node it fails.
TEST_TARGETS += test-node
DEMO_STEPS += demo-node
BENCH_TARGETS += bench-node
DIST_TARGETS += dist-node
TEST_DIST_TARGETS += test-dist-node

NODE_DIR := $(ROOT)/bindings/node
NPM ?= npm
NODE ?= node
NODE_XLANG := $(ROOT)/target/release/examples/xlang

.PHONY: node-deps node-build test-node demo-node bench-node dist-node test-dist-node

$(NODE_DIR)/node_modules/.package-lock.json: $(NODE_DIR)/package-lock.json $(NODE_DIR)/package.json
	cd $(NODE_DIR) && $(NPM) ci --no-audit --no-fund

node-deps: $(NODE_DIR)/node_modules/.package-lock.json

node-build: node-deps
	cd $(NODE_DIR) && npx --no-install napi build --platform --release --no-js --dts index.d.ts

test-node: node-build
	cd $(ROOT) && git diff --exit-code -- bindings/node/index.d.ts \
		|| { echo "bindings/node/index.d.ts is out of date: commit the regenerated file"; exit 1; }
	$(CARGO) build --release -q -p segmentlog --example xlang
	cd $(NODE_DIR) && SEGMENTLOG_XLANG="$(NODE_XLANG)" $(NODE) --test test/*.test.js test/*.test.mjs

demo-node: node-build
	$(NODE) $(ROOT)/examples/node/demo.js "$(DEMO_DIR)"

$(NODE_DIR)/bench/node_modules/.package-lock.json: $(NODE_DIR)/bench/package-lock.json $(NODE_DIR)/bench/package.json
	cd $(NODE_DIR)/bench && $(NPM) ci --no-audit --no-fund --loglevel=error

bench-node: node-build $(NODE_DIR)/bench/node_modules/.package-lock.json
	cd $(NODE_DIR)/bench && $(NODE) --expose-gc bench.js

dist-node: node-deps
	NPM="$(NPM)" CARGO="$(CARGO)" $(NODE_DIR)/scripts/dist.sh "$(DIST_DIR)/npm"

test-dist-node: dist-node
	NPM="$(NPM)" $(NODE_DIR)/registry-test/run.sh "$(DIST_DIR)/npm"

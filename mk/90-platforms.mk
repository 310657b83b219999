# platforms: the portable code paths on this machine, and the other platforms (platforms/run).
#
#   make test-portable    core's suites with the portable paths forced (feature `portable`):
#                         what macOS and Windows run instead of the Linux fast paths, and
#                         Windows' rules for mapped files kept and enforced (`windows-rules`)
#   make test-platforms   aarch64 Linux under qemu, Windows builds (and what runs under wine),
#                         macOS clippy, cross-built wheel and addon (CI runs it after `make test`)
TEST_TARGETS += test-portable

.PHONY: test-portable test-platforms test-aarch64 test-windows check-macos

test-portable:
	$(CARGO) test -p segmentlog --release --features portable,windows-rules,fault-injection --lib \
	  --test log --test lifetimes --test many_segments --test corruption --test powerloss \
	  --test faults --test truncation --test cursor_powerloss --test cursor_crash
	# Readers in other processes under Windows' rules: the follower churn, shorter.
	CHURN_SECONDS=15 $(CARGO) test -p segmentlog-cli --release --features segmentlog/windows-rules \
	  --test followers

test-platforms:
	$(ROOT)/platforms/run all

test-aarch64:
	$(ROOT)/platforms/run aarch64

test-windows:
	$(ROOT)/platforms/run windows

check-macos:
	$(ROOT)/platforms/run macos

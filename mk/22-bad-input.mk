# The cross-language bad-input table (tests/bad-input/cases.tsv): C runs it here; Python
# (bindings/python/tests/test_bad_input.py) and Node (bindings/node/test/bad-input.test.js)
# in their own suites.
TEST_TARGETS += test-bad-input

.PHONY: test-bad-input

$(FFI_OUT)/bad_input: ffi-stage $(ROOT)/tests/bad-input/bad_input.c
	$(FFI_CC) $(FFI_CFLAGS) -I$(FFI_STAGE)/include -o $@ $(ROOT)/tests/bad-input/bad_input.c \
		$(FFI_LINK)

test-bad-input: $(FFI_OUT)/bad_input
	rm -rf $(FFI_OUT)/bad-input && mkdir -p $(FFI_OUT)/bad-input
	$(FFI_OUT)/bad_input $(ROOT)/tests/bad-input/cases.tsv $(FFI_OUT)/bad-input
	rm -rf $(FFI_OUT)/bad-input

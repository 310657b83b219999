"""Run by `make test-python-wheel` in a fresh venv holding only the built wheel: the module
imports, and a log can be written, read and reopened."""

import tempfile

import commitlog

with tempfile.TemporaryDirectory() as d:
    with commitlog.open(d, sync="always") as log:
        assert log.append(b"from the wheel") == 0
        assert log.append_batch([b"a", bytearray(b"b")]) == range(1, 3)
    with commitlog.Log(d) as log:
        assert [r.value for r in log] == [b"from the wheel", b"a", b"b"]
    print(f"wheel smoke test passed (commitlog {commitlog.__version__}, {commitlog.__file__})")

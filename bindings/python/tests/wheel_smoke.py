"""Run by `make test-python-wheel` in a fresh venv holding only the built wheel: the module
imports, and a log can be written, read and reopened."""

import tempfile

import segmentlog

with tempfile.TemporaryDirectory() as d:
    with segmentlog.open(d, sync="always") as log:
        assert log.append(b"from the wheel") == 0
        assert log.append_batch([b"a", bytearray(b"b")]) == range(1, 3)
    with segmentlog.Log(d) as log:
        assert [r.value for r in log] == [b"from the wheel", b"a", b"b"]
    print(f"wheel smoke test passed (segmentlog {segmentlog.__version__}, {segmentlog.__file__})")

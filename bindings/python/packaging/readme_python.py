#!/usr/bin/env python3
"""Runs the Python example of the top README.md with a given interpreter, as a user would.

  readme_python.py README PYTHON

The example is found by the extractor of tests/readme/run.py (which runs every README
example for `make test-readme`) and run the same way: written to app.py in a fresh directory,
run there, and its output must show the record it read back. Here PYTHON is a venv that
installed segmentlog from the local index (packaging/test.sh), not the development venv.
"""
import importlib.util
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
RUN_PY = os.path.join(HERE, os.pardir, os.pardir, os.pardir, "tests", "readme", "run.py")


def readme_runner():
    spec = importlib.util.spec_from_file_location("readme_run", RUN_PY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    readme, python = sys.argv[1], sys.argv[2]
    runner = readme_runner()
    examples = [code for lang, code in runner.blocks(readme) if lang == "python"]
    if not examples:
        sys.exit(f"{readme} has no Python example")
    for code in examples:
        with tempfile.TemporaryDirectory(prefix="readme-python-") as d:
            with open(os.path.join(d, "app.py"), "w", encoding="utf-8") as f:
                f.write(code)
            out = runner.run([python, "app.py"], d, "Python")
            if "b'hello'" not in out:
                sys.exit(f"README Python example printed {out!r}")
    print(f"README Python example ran as written ({len(examples)} block(s), {python})")


if __name__ == "__main__":
    main()

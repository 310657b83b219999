#!/usr/bin/env python3
"""Runs the C, Python and Node examples of README.md exactly as they are written there.

Each fenced block is written to a file in a fresh directory, which is also the working
directory it runs in (the examples open `my-log` there), and compiled or run the way a user
would: C against the staged library, Python with the venv that has the built module, Node
as an ES module that resolves `segmentlog` to bindings/node through node_modules. The Rust
example is a doc-test of the core crate (core/src/lib.rs includes README.md). The `sh` block
is the two set-up commands, which CI itself runs.

Usage: run.py README ROOT  (environment: CC, CFLAGS_STAGE (the -I/-L/rpath flags), PYTHON, NODE)
"""
import os
import re
import shlex
import subprocess
import sys
import tempfile

FENCE = re.compile(r"^```(\w+)\n(.*?)^```$", re.S | re.M)


def blocks(readme):
    with open(readme, encoding="utf-8") as f:
        return [(m.group(1), m.group(2)) for m in FENCE.finditer(f.read())]


def run(cmd, cwd, what):
    out = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        sys.exit(f"README {what} example failed ({' '.join(cmd)}):\n{out.stdout}{out.stderr}")
    return out.stdout


def main():
    readme, root = sys.argv[1], sys.argv[2]
    ran = {"c": 0, "python": 0, "js": 0}
    for lang, code in blocks(readme):
        if lang not in ran:
            continue
        with tempfile.TemporaryDirectory(prefix=f"readme-{lang}-") as d:
            if lang == "c":
                src = os.path.join(d, "app.c")
                open(src, "w").write(code)
                cc = shlex.split(os.environ.get("CC", "cc"))
                flags = shlex.split(os.environ["CFLAGS_STAGE"])
                run(cc + ["-std=c11", "-Wall", "-Wextra", "-Werror", "-o", "app", src] + flags,
                    d, "C (compile)")
                out = run([os.path.join(d, "app")], d, "C")
                assert out.strip() == "0: hello", f"C example printed {out!r}"
            elif lang == "python":
                open(os.path.join(d, "app.py"), "w").write(code)
                out = run([os.environ.get("PYTHON", "python3"), "app.py"], d, "Python")
                assert "b'hello'" in out, f"Python example printed {out!r}"
            else:
                os.makedirs(os.path.join(d, "node_modules"))
                os.symlink(os.path.join(root, "bindings", "node"),
                           os.path.join(d, "node_modules", "segmentlog"))
                open(os.path.join(d, "app.mjs"), "w").write(code)
                out = run([os.environ.get("NODE", "node"), "app.mjs"], d, "Node")
                assert out.strip() == "hello", f"Node example printed {out!r}"
            ran[lang] += 1
    missing = [lang for lang, n in ran.items() if n == 0]
    if missing:
        sys.exit(f"README has no {', '.join(missing)} example to run")
    print("README examples ran as written: " + ", ".join(f"{n} {lang}" for lang, n in ran.items()))


if __name__ == "__main__":
    main()

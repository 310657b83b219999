#!/usr/bin/env python3
"""Checks the Python release artifacts that `make dist-python` wrote (packaging/build.sh).

  check_artifacts.py DIR VERSION [--too-new WHEEL]

DIR must hold exactly the sdist and the five wheels below, each with exactly its tags and
files. For every wheel, its extension module is for the right machine and stripped; a
manylinux wheel passes `auditwheel show` as manylinux_2_17 and asks for no glibc symbol
version above 2.17 (read from the module's version-needs section with readelf, so a newer
symbol fails here whatever auditwheel says); a musllinux wheel needs nothing of glibc; the
Windows module imports only python3.dll (the stable ABI) and system DLLs. The sdist carries
the core crate it builds from, and the metadata a PyPI page shows.

--too-new WHEEL: a wheel built without zig (`make wheel`, this machine's glibc): the glibc
check must reject it, which shows that the check can fail.

Needs readelf and objdump (binutils) and auditwheel (from the same venv as this Python).
"""
import email.parser
import os
import re
import subprocess
import sys
import shutil
import tarfile
import tempfile
import zipfile

GLIBC_FLOOR = (2, 17)
# What a manylinux2014 extension may link against (PEP 599's list, those a Rust cdylib uses).
MANYLINUX_LIBS = {"libc.so.6", "libpthread.so.0", "libdl.so.2", "libm.so.6", "librt.so.1",
                  "libgcc_s.so.1", "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1"}
# musl's loader serves these names itself (it is the C library); nothing else may be needed.
MUSL_LIBS = {"libc.so", "libc.musl-x86_64.so.1", "libc.musl-aarch64.so.1"}
# A Windows module may import the stable-ABI python3.dll and DLLs every Windows 10 has; not
# a versioned python3X.dll, nor a mingw run-time DLL (libgcc_s_seh-1, libwinpthread-1).
WINDOWS_DLLS = {"python3.dll", "kernel32.dll", "ntdll.dll", "msvcrt.dll", "userenv.dll",
                "ws2_32.dll", "bcryptprimitives.dll", "advapi32.dll", "bcrypt.dll"}

PY_FILES = {"segmentlog/__init__.py", "segmentlog/_errors.py", "segmentlog/_segmentlog.pyi",
            "segmentlog/py.typed"}

failures = []
VERSION = ""  # the version the artifacts must carry (set by main)


# The licence texts every artifact carries (the project is MIT OR Apache-2.0).
LICENCES = ("LICENSE-MIT", "LICENSE-APACHE")


def fail(msg):
    failures.append(msg)
    print(f"FAIL: {msg}")


def ok(msg):
    print(f"ok:   {msg}")


def tool(*cmd):
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({out.returncode}):\n{out.stdout}{out.stderr}")
    return out.stdout


def wheels(version):
    """Wheel file name -> (its tags, machine, kind)."""
    base = f"segmentlog-{version}-cp39-abi3-"
    w = {}
    for arch, machine in (("x86_64", "X86-64"), ("aarch64", "AArch64")):
        w[f"{base}manylinux2014_{arch}.manylinux_2_17_{arch}.whl"] = (
            {f"cp39-abi3-manylinux2014_{arch}", f"cp39-abi3-manylinux_2_17_{arch}"},
            machine, "manylinux")
        w[f"{base}musllinux_1_2_{arch}.whl"] = (
            {f"cp39-abi3-musllinux_1_2_{arch}"}, machine, "musllinux")
    w[f"{base}win_amd64.whl"] = ({"cp39-abi3-win_amd64"}, "x86-64", "windows")
    return w


def glibc_versions(so):
    """The GLIBC_x.y versions the module's version-needs section asks for."""
    text = tool("readelf", "--version-info", "--wide", so)
    return sorted({tuple(int(p) for p in v.split("."))
                   for v in re.findall(r"Name: GLIBC_([0-9.]+)", text)})


def needed(so):
    return set(re.findall(r"\(NEEDED\)\s+Shared library: \[([^]]+)\]", tool("readelf", "-d", so)))


def glibc_floor(name, so):
    """(whether the module needs no glibc symbol version above the floor, what it needs)."""
    versions = glibc_versions(so)
    if not versions:
        return False, f"{name}: no GLIBC_ version needs found (not a glibc module?)"
    fmt = ".".join
    too_new = [v for v in versions if v > GLIBC_FLOOR]
    if too_new:
        return False, (f"{name}: needs glibc symbol versions above "
                       f"{fmt(map(str, GLIBC_FLOOR))}: "
                       + ", ".join("GLIBC_" + fmt(map(str, v)) for v in too_new))
    return True, f"{name}: highest glibc symbol version needed is GLIBC_{fmt(map(str, versions[-1]))}"


def check_elf(name, so, machine):
    header = tool("readelf", "--file-header", "--wide", so)
    m = re.search(r"Machine:\s+(.*)", header)
    if not m or machine not in m.group(1):
        fail(f"{name}: extension is for {m.group(1) if m else '?'}, not {machine}")
    sections = tool("readelf", "--section-headers", "--wide", so)
    unstripped = re.findall(r"\] (\.symtab|\.debug_\w+)", sections)
    if unstripped:
        fail(f"{name}: extension is not stripped (has {', '.join(sorted(set(unstripped)))})")
    else:
        ok(f"{name}: {machine} extension, stripped ({os.path.getsize(so)} bytes)")


def auditwheel_show(name, path, arch):
    exe = os.path.join(os.path.dirname(sys.executable), "auditwheel")
    out = subprocess.run([exe, "show", path], capture_output=True, text=True)
    text = " ".join((out.stdout + out.stderr).split())
    m = re.search(r'consistent with the following platform tag: "([^"]+)"', text)
    want = f"manylinux_2_17_{arch}"
    if out.returncode != 0 or not m or m.group(1) != want:
        fail(f"{name}: auditwheel show does not say {want} (exit {out.returncode}): {text}")
    else:
        ok(f"{name}: auditwheel show: consistent with {want}")


def check_wheel(path, tags, machine, kind, scratch):
    name = os.path.basename(path)
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        dist_info = f"segmentlog-{VERSION}.dist-info/"
        wheel_meta = email.parser.Parser().parsestr(z.read(dist_info + "WHEEL").decode())
        got_tags = set(wheel_meta.get_all("Tag") or [])
        if got_tags != tags:
            fail(f"{name}: WHEEL tags {sorted(got_tags)}, want {sorted(tags)}")
        elif wheel_meta["Root-Is-Purelib"] != "false":
            fail(f"{name}: Root-Is-Purelib is {wheel_meta['Root-Is-Purelib']}")
        else:
            ok(f"{name}: tags {', '.join(sorted(tags))}")
        licences = {dist_info + "licenses/" + n for n in LICENCES}
        if not licences <= names:
            fail(f"{name}: missing {sorted(licences - names)}")
        else:
            ok(f"{name}: carries the licence texts")
        ext = "segmentlog/_segmentlog." + ("pyd" if kind == "windows" else "abi3.so")
        extra = {n for n in names if not n.startswith(dist_info)} - PY_FILES - {ext}
        missing = (PY_FILES | {ext}) - names
        if extra or missing:
            fail(f"{name}: files beyond the package: {sorted(extra)}; missing: {sorted(missing)}")
        else:
            ok(f"{name}: holds the package and {ext} only")
        so = os.path.join(scratch, name + "." + ext.rsplit(".", 1)[1])
        with open(so, "wb") as f:
            f.write(z.read(ext))
    if kind == "windows":
        dump = tool("objdump", "-p", so)
        if "file format pei-x86-64" not in dump:
            fail(f"{name}: {ext} is not a PE32+ x86-64 DLL")
        dlls = {d.lower() for d in re.findall(r"DLL Name: (\S+)", dump)}
        bad = {d for d in dlls if d not in WINDOWS_DLLS and not d.startswith("api-ms-win-")}
        if bad or "python3.dll" not in dlls:
            fail(f"{name}: imports {sorted(dlls)}; not allowed: {sorted(bad)}")
        else:
            ok(f"{name}: imports only python3.dll and system DLLs ({', '.join(sorted(dlls))})")
        if ".debug_" in tool("objdump", "-h", so):
            fail(f"{name}: {ext} has debug sections")
        return
    check_elf(name, so, machine)
    libs = needed(so)
    arch = "x86_64" if machine == "X86-64" else "aarch64"
    if kind == "manylinux":
        if not libs <= MANYLINUX_LIBS:
            fail(f"{name}: needs libraries outside manylinux2014: {sorted(libs - MANYLINUX_LIBS)}")
        passed, msg = glibc_floor(name, so)
        (ok if passed else fail)(msg)
        auditwheel_show(name, path, arch)
    else:
        versions = glibc_versions(so)
        if not libs or not libs <= MUSL_LIBS or versions:
            fail(f"{name}: needs {sorted(libs)} and glibc versions {versions}; "
                 f"a musl module may need only {sorted(MUSL_LIBS)}")
        else:
            ok(f"{name}: needs only musl's libc ({', '.join(sorted(libs))}), nothing of glibc")


def check_sdist(path):
    name = os.path.basename(path)
    top = f"segmentlog-{VERSION}/"
    with tarfile.open(path) as t:
        names = set(t.getnames())
        # What a build from source needs: the binding, the core crate it path-depends on,
        # a workspace manifest naming only those, the lock file and the Python package.
        want = {"PKG-INFO", "pyproject.toml", "Cargo.toml", "Cargo.lock", "core/Cargo.toml",
                *LICENCES,
                "core/src/lib.rs", "bindings/python/Cargo.toml", "bindings/python/build.rs",
                "bindings/python/src/lib.rs", "python/segmentlog/__init__.py",
                "python/segmentlog/py.typed", "python/segmentlog/_segmentlog.pyi"}
        missing = {top + n for n in want} - names
        if missing:
            fail(f"{name}: missing {sorted(missing)}")
        else:
            ok(f"{name}: has the binding, the core crate and the lock file ({len(names)} entries)")
        stray = sorted(n for n in names if n.endswith((".so", ".pyd", ".whl")))
        if stray:
            fail(f"{name}: holds built files {stray}")
        workspace = t.extractfile(top + "Cargo.toml").read().decode()
        members = re.search(r"members\s*=\s*\[([^]]*)\]", workspace)
        members = set(re.findall(r'"([^"]+)"', members.group(1))) if members else None
        if members != {"core", "bindings/python"}:
            fail(f"{name}: workspace members {members}, want core and bindings/python")
        meta = email.parser.Parser().parsestr(t.extractfile(top + "PKG-INFO").read().decode())
    check_metadata(name, meta)


def check_metadata(name, meta):
    problems = []
    if meta["Name"] != "segmentlog" or meta["Version"] != VERSION:
        problems.append(f"name/version {meta['Name']} {meta['Version']}")
    if meta["Requires-Python"] != ">=3.9":
        problems.append(f"Requires-Python {meta['Requires-Python']}")
    if meta["License-Expression"] != "MIT OR Apache-2.0":
        problems.append(f"License-Expression {meta['License-Expression']}")
    if not (meta["Description-Content-Type"] or "").startswith("text/markdown"):
        problems.append(f"Description-Content-Type {meta['Description-Content-Type']}")
    if "pip install segmentlog" not in meta.get_payload():
        problems.append("the long description (README.md) does not say `pip install segmentlog`")
    classifiers = set(meta.get_all("Classifier") or [])
    for c in ("Operating System :: POSIX :: Linux", "Operating System :: Microsoft :: Windows",
              "Programming Language :: Python :: Implementation :: CPython"):
        if c not in classifiers:
            problems.append(f"no classifier {c!r}")
    if any(c.startswith("License ::") for c in classifiers):
        problems.append("a License :: classifier beside License-Expression (PEP 639 forbids)")
    if any("example.invalid" in u for u in meta.get_all("Project-URL") or []):
        problems.append("a placeholder Project-URL")
    if problems:
        fail(f"{name} metadata: " + "; ".join(problems))
    else:
        ok(f"{name} metadata: Requires-Python {meta['Requires-Python']}, License-Expression "
           f"{meta['License-Expression']}, {len(classifiers)} classifiers, Markdown readme")


def main():
    global VERSION
    args = sys.argv[1:]
    too_new = None
    if "--too-new" in args:
        i = args.index("--too-new")
        too_new = args[i + 1]
        del args[i:i + 2]
    if len(args) != 2:
        sys.exit(__doc__)
    directory, VERSION = args
    scratch = tempfile.mkdtemp(prefix="segmentlog-check-")
    try:
        expected = wheels(VERSION)
        sdist = f"segmentlog-{VERSION}.tar.gz"
        present = set(os.listdir(directory))
        if present != set(expected) | {sdist}:
            fail(f"{directory} holds {sorted(present)}; want {sorted(set(expected) | {sdist})}")
        for fname, (tags, machine, kind) in sorted(expected.items()):
            if fname in present:
                check_wheel(os.path.join(directory, fname), tags, machine, kind, scratch)
        if sdist in present:
            check_sdist(os.path.join(directory, sdist))
        if too_new:
            check_too_new(too_new, scratch)
    finally:
        shutil.rmtree(scratch)
    if failures:
        sys.exit(f"{len(failures)} check(s) of the Python artifacts failed")
    print("Python artifacts: all checks passed")


def check_too_new(path, scratch):
    """The glibc check must reject a wheel linked against this machine's glibc."""
    name = os.path.basename(path)
    so = os.path.join(scratch, "too-new.so")
    with zipfile.ZipFile(path) as z:
        with open(so, "wb") as f:
            f.write(z.read("segmentlog/_segmentlog.abi3.so"))
    passed, msg = glibc_floor(name, so)
    if passed:
        fail(f"{msg}; yet it was built without zig: the glibc check proves nothing")
    else:
        ok(f"the glibc check rejects {name}, built without zig, as it must ({msg})")

if __name__ == "__main__":
    main()

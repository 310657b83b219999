#!/usr/bin/env bash
# Checks the shared library's ABI surface: its soname is libcommitlog.so.0, and the symbols it
# exports are exactly the functions the header declares (all commitlog_*), nothing else.
# Usage: tests/c/symbols.sh path/to/libcommitlog.so include/commitlog.h
set -euo pipefail
lib=$1
header=$2
soname=$(objdump -p "$lib" | awk '$1 == "SONAME" {print $2}')
if [ "$soname" != "libcommitlog.so.0" ]; then
    echo "symbols: soname is '$soname', want libcommitlog.so.0" >&2
    exit 1
fi
exported=$(nm -D --defined-only "$lib" | awk '{print $3}' | sed 's/@.*//' | sort -u)
declared=$(grep -oE '\bcommitlog_[a-z_]+\(' "$header" | tr -d '(' | sort -u)
stray=$(grep -v '^commitlog_' <<<"$exported" || true)
if [ -n "$stray" ]; then
    echo "symbols: exported symbols outside the commitlog_ namespace:" >&2
    echo "$stray" >&2
    exit 1
fi
if [ "$exported" != "$declared" ]; then
    echo "symbols: exported and declared functions differ (< exported, > declared):" >&2
    diff <(echo "$exported") <(echo "$declared") >&2 || true
    exit 1
fi
echo "symbols: soname $soname; exports exactly the $(wc -l <<<"$exported") functions of the header"

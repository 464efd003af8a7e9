#!/usr/bin/env python3
"""Fails when a library includes a header of a library above it, or reaches into another
library's private src/ directory. The layers, lowest first; a library may include its own
headers and those of the libraries listed for it. Usage: include_direction.py REPO_ROOT"""
import os
import re
import sys

ALLOWED = {
    "topology": set(),
    "kernels": set(),
    "bench": {"topology", "kernels"},
    "ingest": {"topology"},
    "report": {"bench", "topology", "ingest"},
    "app": {"report", "ingest", "bench", "topology"},
    "cli": {"app", "report", "ingest", "bench", "topology", "kernels"},
}
PUBLIC = re.compile(r'#\s*include\s*[<"]rigcheck/([a-z_]+)/')
PRIVATE = re.compile(r'#\s*include\s*"(\.\./)+([a-z_]+)/src/')


def main():
    root = sys.argv[1]
    problems = []
    for lib, allowed in ALLOWED.items():
        for dirpath, _, files in os.walk(os.path.join(root, lib)):
            for f in files:
                if not f.endswith((".h", ".cpp", ".cu", ".cuh")):
                    continue
                path = os.path.join(dirpath, f)
                for n, line in enumerate(open(path, encoding="utf-8", errors="replace"), 1):
                    m = PUBLIC.search(line)
                    if m and m.group(1) != lib and m.group(1) not in allowed:
                        problems.append("%s:%d: %s includes %s, which is not below it" % (os.path.relpath(path, root), n, lib, m.group(1)))
                    m = PRIVATE.search(line)
                    if m:
                        problems.append("%s:%d: reaches into %s/src" % (os.path.relpath(path, root), n, m.group(2)))
    for p in problems:
        print(p)
    print("%d passed, %d failed" % (0 if problems else 1, len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

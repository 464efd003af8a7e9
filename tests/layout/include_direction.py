#!/usr/bin/env python3
"""Fails when a library depends on a library above it: a source file that includes another
library's public header, a CMake target that links another library's target, or a file that
reaches into another library's private src/ directory. The layers are in docs/architecture.md;
a library may use its own headers and those of the libraries listed for it (lowest first).
Usage: include_direction.py REPO_ROOT"""
import os
import re
import sys

ALLOWED = {
    "topology": set(),
    "kernels": set(),
    "fabric": {"topology"},
    "ingest": {"topology"},
    "bench": {"fabric", "topology", "kernels"},
    "diagnosis": {"bench", "fabric", "ingest", "topology"},
    "report": {"diagnosis", "bench", "fabric", "ingest", "topology"},
    "mpi": set(),
    "app": {"report", "diagnosis", "bench", "fabric", "ingest", "topology", "mpi"},
    "cli": {"app", "mpi", "report", "diagnosis", "bench", "fabric", "ingest", "topology", "kernels"},
}
# CMake targets that belong to a library without carrying its folder's name.
TARGET_OWNER = {"kernels_api": "kernels", "micro": "bench", "import_micro": "ingest"}
# Interface targets of outside dependencies (the CUDA headers, NCCL): anyone may link them.
EXTERNAL_TARGETS = {"cuda_api", "nccl"}
PUBLIC = re.compile(r'#\s*include\s*[<"]rigcheck/([a-z_]+)/')
PRIVATE = re.compile(r'#\s*include\s*"(\.\./)+([a-z_]+)/src/')
LINK = re.compile(r'target_link_libraries\s*\(\s*rigcheck_([a-z_]+)([^)]*)\)', re.S)
TARGET = re.compile(r'\brigcheck_([a-z_]+)\b')


def owner(target):
    return TARGET_OWNER.get(target, target)


def check_sources(root, lib, allowed, problems):
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


def check_cmake(root, lib, allowed, problems):
    for dirpath, _, files in os.walk(os.path.join(root, lib)):
        if "CMakeLists.txt" not in files:
            continue
        path = os.path.join(dirpath, "CMakeLists.txt")
        text = open(path, encoding="utf-8", errors="replace").read()
        for m in LINK.finditer(text):
            n = text.count("\n", 0, m.start()) + 1
            for dep in TARGET.findall(m.group(2)):
                if dep in EXTERNAL_TARGETS:
                    continue
                d = owner(dep)
                if d != lib and d not in allowed:
                    problems.append("%s:%d: %s links rigcheck_%s, which is not below it" % (os.path.relpath(path, root), n, lib, dep))


def main():
    root = sys.argv[1]
    problems = []
    for lib, allowed in ALLOWED.items():
        check_sources(root, lib, allowed, problems)
        check_cmake(root, lib, allowed, problems)
    for p in problems:
        print(p)
    print("%d passed, %d failed" % (0 if problems else 1, len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

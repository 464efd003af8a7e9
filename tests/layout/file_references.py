#!/usr/bin/env python3
"""Fails when the project refers to a file a reader cannot open: a path into the repository
(`docs/findings.md`, `fabric/data/fabric.json`, `tests/fixtures/...`) that does not exist, or a
pointer to notes outside it (`DESIGN.md`, `research/...`, `../shared/...`). Checks sources, data,
docs, scripts and schemas; test sources that assert such strings are rejected, and copied tool
outputs under tests/fixtures, are not checked. Usage: file_references.py REPO_ROOT"""
import os
import re
import sys

SKIP_DIRS = {".git", "__pycache__"}
SKIP_PREFIXES = ("build", "tests/fixtures/", "tests/layout/", "tests/catalogue/", "tests/docs/", "results/examples/")
# Test sources whose job is to show that such a reference is refused.
SKIP_FILES = {"tests/catalogue_test.cpp"}
TEXT = (".h", ".cpp", ".cu", ".cuh", ".py", ".sh", ".md", ".json", ".txt", ".cmake")
OUTSIDE = re.compile(r"DESIGN\.md|(?<![\w/])research/[\w.-]+|\.\./shared\b|shared/research")


def repo_path(root, top):
    # A path whose first part is a top-level folder of the repository, like fabric/data/fabric.json.
    return re.compile(r"(?<![\w./<{-])((?:%s)/[\w./-]*\w\.(?:md|json|h|cpp|py|sh|txt|xml|cmake))\b" % "|".join(map(re.escape, top)))


def exists(root, target):
    # A public header may be named as its include path says (report/view.h for
    # report/include/rigcheck/report/view.h).
    lib = target.split("/", 1)[0]
    return any(os.path.exists(os.path.join(root, p)) for p in (target, os.path.join(lib, "include", "rigcheck", target)))


def main():
    root = os.path.abspath(sys.argv[1])
    top = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)) and not d.startswith((".", "build")))
    inside = repo_path(root, top)
    problems = []
    for dirpath, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.startswith("build")]
        for f in files:
            path = os.path.join(dirpath, f)
            rel = os.path.relpath(path, root).replace(os.sep, "/")
            if not f.endswith(TEXT) and f != "CMakeLists.txt" or rel in SKIP_FILES or rel.startswith(SKIP_PREFIXES):
                continue
            for n, line in enumerate(open(path, encoding="utf-8", errors="replace"), 1):
                for m in OUTSIDE.finditer(line):
                    problems.append("%s:%d: refers to notes outside the repository: %s" % (rel, n, m.group(0)))
                for m in inside.finditer(line):
                    target = m.group(1).rstrip(".")
                    if "*" in target or exists(root, target):
                        continue
                    problems.append("%s:%d: refers to %s, which does not exist" % (rel, n, target))
    for p in problems:
        print(p)
    print("%d passed, %d failed" % (0 if problems else 1, len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

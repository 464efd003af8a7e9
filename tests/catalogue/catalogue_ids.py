#!/usr/bin/env python3
"""Fails when the code can raise a finding id that diagnosis/data/findings.json lacks, or when
the catalogue holds an entry no code raises. It reads the id literals of every make_finding,
make_finding_variant, import_wording and measured-rule c.add and group_cell call in diagnosis/src, app/src and
cli (a ternary's ids included); the known issues' ids are those of known_issues.json.
Usage: catalogue_ids.py REPO_ROOT"""
import json
import os
import re
import sys

CALL = re.compile(r"\b(?:make_finding_variant|make_finding|import_wording|c\.add|group_cell)\(")
ID = re.compile(r'"([a-z0-9]+(?:-[a-z0-9]+)+)"')


def first_argument(text, start):
    """The text of the call's first argument: up to the first top-level ',' or ')'."""
    depth, i, in_string = 0, start, False
    while i < len(text):
        ch = text[i]
        if in_string:
            if ch == "\\":
                i += 1
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            if depth == 0:
                return text[start:i]
            depth -= 1
        elif ch == "," and depth == 0:
            return text[start:i]
        i += 1
    return text[start:]


def raised_ids(root):
    ids = {}
    for folder in ("diagnosis/src", "app/src", "cli"):
        for dirpath, _, files in os.walk(os.path.join(root, folder)):
            for name in sorted(files):
                if not name.endswith((".cpp", ".h")):
                    continue
                path = os.path.join(dirpath, name)
                text = open(path, encoding="utf-8").read()
                for m in CALL.finditer(text):
                    for id_ in ID.findall(first_argument(text, m.end())):
                        ids.setdefault(id_, os.path.relpath(path, root))
    return ids


def main(root):
    data = os.path.join(root, "diagnosis", "data")
    catalogue = {e["id"] for e in json.load(open(os.path.join(data, "findings.json"), encoding="utf-8"))["findings"]}
    known = {i["id"] for i in json.load(open(os.path.join(data, "known_issues.json"), encoding="utf-8"))["issues"]}
    raised = raised_ids(root)
    problems = [f"{where} raises {id_}, which is not in diagnosis/data/findings.json" for id_, where in sorted(raised.items())
                if id_ not in catalogue]
    problems += [f"known_issues.json row {id_} has no entry in findings.json" for id_ in sorted(known - catalogue)]
    problems += [f"findings.json entry {id_} is raised by no code" for id_ in sorted(catalogue - set(raised) - known)]
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        return 1
    print(f"{len(raised)} ids raised by the code and {len(known)} known issues, all {len(catalogue)} catalogue entries")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")))

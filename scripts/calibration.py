#!/usr/bin/env python3
"""Calibration of rigcheck's expected figures against public measurements of real machines.

For every entry of tests/calibration/corpus.json:
  * the published figures are read back with rigcheck's own importer (`rigcheck import RAW
    --format json`) and must equal what corpus.json states (a typo in the corpus fails);
  * rigcheck's expected figure for the same metric is taken from a simulated run of the entry's rig
    file (`rigcheck run --simulate RIG --full --size S`): each cell's "expected" field, which is the
    fabric model of the healthy machine, never the simulated sample;
  * faulty entries: the import of their raw output must raise the finding ids of their cause;
    one without a tool output names its rig's variant, and a simulated run of it must raise them;
  * a figure marked "transcribed" comes from a table on the machine's page (no tool output exists):
    it is not read back, and its row says so;
  * a figure measured on some of the machine's GPUs only names them (`"gpus": [8, 9, ...]`): it is
    compared with a run of the rig restricted to them (`--gpus`), so the others neither share its
    links nor join its ring.
Prints the table (entry, class, metric, cell, published, expected, ratio) and the median and
spread of published/expected per class. With --check, exits 1 when a healthy figure is outside the
tolerance and not in the tolerated list, a faulty entry is not flagged, or a figure does not read
back. Standard library only.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_json(cmd, what):
    # import and run exit 3/4 when they find warnings or criticals: that is an answer, not an error.
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if p.returncode not in (0, 3, 4):
        raise RuntimeError(f"{what}: exit {p.returncode}: {p.stderr.strip()[:300]}")
    return p


class Rigcheck:
    def __init__(self, exe, workdir):
        self.exe = exe
        self.workdir = workdir
        self.imports = {}
        self.sims = {}

    def imported(self, path):
        if path not in self.imports:
            p = run_json([self.exe, "import", path, "--format", "json"], f"rigcheck import {path}")
            self.imports[path] = json.loads(p.stdout)
        return self.imports[path]

    def simulated(self, rig, size, variant=None, gpus=None):
        key = (rig, size, variant, tuple(gpus or ()))
        if key not in self.sims:
            name = f"sim{len(self.sims)}"
            run_json([self.exe, "run", "--simulate", rig, "--full", "--size", str(size), "--out", self.workdir,
                      "--name", name, "--quiet"] + (["--variant", variant] if variant else []) +
                     (["--gpus", ",".join(str(g) for g in gpus)] if gpus else []),
                     f"rigcheck run --simulate {rig}")
            with open(os.path.join(self.workdir, name + ".json")) as f:
                self.sims[key] = json.load(f)
        return self.sims[key]


def cell_value(report, name, key):
    """A field of one measurement cell ("expected": the model; "median": the simulated figure)."""
    for m in report["measurements"]:
        if m["name"] == name:
            return m.get(key)
    return None


def collective_row(doc, model, size, key):
    """The out-of-place all-reduce row of this process model at this size (or the largest below it)."""
    for c in doc.get("collectives", []):
        if c.get("process_model") != model:
            continue
        rows = [r for r in c.get("results", []) if r.get("op") == "allreduce" and not r.get("in_place") and r["bytes"] <= size]
        if rows:
            row = max(rows, key=lambda r: r["bytes"])
            return row.get(key), row["bytes"]
    return None, None


def read_back(rc, fig):
    """The figure as rigcheck's importer reads it from the raw file, or None."""
    doc = rc.imported(fig["file"])
    if fig["metric"] == "allreduce.busbw":
        value, _ = collective_row(doc, fig["process_model"], fig["size_bytes"], "busbw_gbps")
        return value
    for m in doc["measurements"]:
        if m["name"] == fig["import_name"] and (fig.get("line") is None or m["imported"]["line"] == fig["line"]):
            return m["median"]
    return None


def sim_size(fig):
    """The copy size of the simulated run a figure is compared on (the ring's sweep for busbw)."""
    return fig["size_bytes"] if fig["metric"] != "allreduce.busbw" else 64 << 20


def expected_of(rc, rig, fig, variant=None, key="expected"):
    """rigcheck's expected figure for the healthy machine, and a note when it is not like for like.
    With a variant and key "median": the simulated figure of that variant, the model's prediction
    of the faulty machine."""
    sim = rc.simulated(rig, sim_size(fig), variant, fig.get("gpus"))
    metric, cell = fig["metric"], fig["cell"]
    if metric == "allreduce.busbw":
        value, size = collective_row(sim, fig["process_model"], fig["size_bytes"],
                                     "expected_busbw_gbps" if key == "expected" else "busbw_gbps")
        note = f"model at {size} B" if size is not None and size != fig["size_bytes"] else ""
        return value, note
    if metric == "device_to_device_bidir_ce.total":
        a, b = cell.split("-")
        there = cell_value(sim, f"device_to_device_bidir_ce/{a}-{b}", key)
        back = cell_value(sim, f"device_to_device_bidir_ce/{b}-{a}", key)
        return (there + back if there is not None and back is not None else None), ""
    return cell_value(sim, f"{metric}/{cell}", key), ""


def tolerated(corpus, entry, metric, cell=None):
    # A tolerated exception names its entry and metric ("*": all), and optionally one cell, so the
    # entry's other cells of that metric stay held to the tolerance.
    for t in corpus.get("tolerated", []):
        if t["entry"] == entry and t["metric"] in ("*", metric) and t.get("cell") in (None, cell):
            return t["reason"]
    return None


def evaluate(rc, corpus):
    rows, problems, faults = [], [], []
    tol = corpus["tolerance"]
    for e in corpus["entries"]:
        for fig in e["figures"]:
            # A figure transcribed from a published table (no tool output exists) has nothing to
            # read back; it is labelled as such in every row.
            if fig.get("transcribed") and (e["raw"] or "file" in fig):
                problems.append(f"{e['id']} {fig['metric']} {fig['cell']}: transcribed, but the entry has a tool output "
                                "to read it back from")
            back = None if fig.get("transcribed") else read_back(rc, fig)
            if not fig.get("transcribed") and (back is None or abs(back - fig["published"]) > 0.005 * max(1.0, abs(fig["published"]))):
                problems.append(f"{e['id']} {fig['metric']} {fig['cell']}: corpus says {fig['published']}, "
                                f"rigcheck import reads {back} from {fig['file']}:{fig.get('line')}")
            try:
                expected, note = expected_of(rc, e["rig"], fig)
            except RuntimeError as err:  # a rig rigcheck cannot load: reported, the others go on
                expected, note = None, str(err)
            ratio = fig["published"] / expected if expected else None
            if fig.get("transcribed"):
                note = "; ".join(x for x in ("transcribed from a table", note) if x)
            if fig.get("gpus"):
                note = "; ".join(x for x in (note, f"run on GPUs {gpu_list(fig['gpus'])} only") if x)
            faulty_ratio = None
            if e["status"] == "faulty" and e.get("variant"):
                # The model of the faulty machine: the variant's simulated figure (its expected
                # field is the healthy machine's), so the fault's size is checked, not only its name.
                try:
                    faulty_model, _ = expected_of(rc, e["rig"], fig, e["variant"], "median")
                except RuntimeError as err:
                    faulty_model, note = None, "; ".join(x for x in (note, str(err)) if x)
                if faulty_model:
                    faulty_ratio = fig["published"] / faulty_model
                    note = "; ".join(x for x in (note, f"model of the faulty machine {faulty_model:.2f}, "
                                                 f"ratio {faulty_ratio:.3f}") if x)
            row = {"entry": e["id"], "class": e["class"], "status": e["status"], "metric": fig["metric"],
                   "cell": fig["cell"], "published": fig["published"], "expected": expected, "ratio": ratio,
                   "note": note, "tolerated": tolerated(corpus, e["id"], fig["metric"], fig["cell"])}
            row["pass"] = e["status"] != "healthy" or (ratio is not None and abs(ratio - 1) <= tol)
            if e["status"] == "healthy" and not row["pass"] and not row["tolerated"]:
                problems.append(f"{e['id']} {fig['metric']} {fig['cell']}: published {fig['published']} vs expected "
                                f"{fmt(expected)} (ratio {fmt(ratio, 3)}, outside ±{tol:.0%})")
            if e["status"] == "faulty" and e.get("variant") and not row["tolerated"] and (
                    faulty_ratio is None or abs(faulty_ratio - 1) > tol):
                problems.append(f"{e['id']} {fig['metric']} {fig['cell']}: published {fig['published']} vs the model of "
                                f"the faulty machine (variant {e['variant']}): ratio {fmt(faulty_ratio, 3)}, outside ±{tol:.0%}")
            rows.append(row)
        if e["status"] == "faulty":
            found = set()
            for raw in e["raw"]:
                found |= {f["id"] for f in rc.imported(raw)["findings"]}
            # No tool output of the faulty machine: the findings of a run on its rig variant (the
            # fault as the thread establishes it) instead.
            if not e["raw"] and e.get("variant"):
                size = sim_size(e["figures"][0]) if e["figures"] else 64 << 20
                found |= {f["id"] for f in rc.simulated(e["rig"], size, e["variant"])["findings"]}
            missing = [i for i in e["fault"]["findings"] if i not in found]
            faults.append({"entry": e["id"], "cause": e["fault"]["cause"], "want": e["fault"]["findings"],
                           "found": sorted(found), "missing": missing})
            if missing and not tolerated(corpus, e["id"], "findings"):
                how = "import" if e["raw"] else f"a run of rig variant {e.get('variant')}"
                problems.append(f"{e['id']} (faulty: {e['fault']['cause']}): {how} does not raise {', '.join(missing)}")
    return rows, faults, problems


def gpu_list(gpus):
    """"8-15" for a run of consecutive GPUs, "0,2,5" otherwise."""
    g = sorted(gpus)
    return f"{g[0]}-{g[-1]}" if len(g) > 2 and g == list(range(g[0], g[-1] + 1)) else ",".join(map(str, g))


def fmt(v, digits=2):
    return "-" if v is None else f"{v:.{digits}f}"


def class_summary(rows):
    by = {}
    for r in rows:
        if r["status"] == "healthy" and r["ratio"] is not None:
            by.setdefault(r["class"], []).append(r["ratio"])
    return {c: (len(v), statistics.median(v), min(v), max(v)) for c, v in sorted(by.items())}


def markdown(rows, faults, problems, tol):
    out = ["| entry | class | status | metric | cell | published | expected | ratio | |", "|---|---|---|---|---|---:|---:|---:|---|"]
    for r in rows:
        mark = "ok" if r["pass"] and r["status"] == "healthy" else ("tolerated" if r["tolerated"] else ("faulty" if r["status"] != "healthy" else "OFF"))
        note = f" ({r['note']})" if r["note"] else ""
        out.append(f"| {r['entry']} | {r['class']} | {r['status']} | {r['metric']} | {r['cell']} | {fmt(r['published'])} | "
                   f"{fmt(r['expected'])} | {fmt(r['ratio'], 3)} | {mark}{note} |")
    out += ["", "Healthy figures, published / expected, per class:", "",
            "| class | figures | median | min | max |", "|---|---:|---:|---:|---:|"]
    for c, (n, med, lo, hi) in class_summary(rows).items():
        out.append(f"| {c} | {n} | {med:.3f} | {lo:.3f} | {hi:.3f} |")
    out += ["", "Faulty entries, the finding ids their cause must raise on import (or, without a tool output, on a run of the rig's variant of the fault):", "",
            "| entry | cause | expected findings | raised | |", "|---|---|---|---|---|"]
    for f in faults:
        out.append(f"| {f['entry']} | {f['cause']} | {', '.join(f['want'])} | {', '.join(f['found'])} | "
                   f"{'flagged' if not f['missing'] else 'MISSING ' + ', '.join(f['missing'])} |")
    out += ["", f"Failures (healthy outside ±{tol:.0%} and not tolerated, faulty not flagged, figures that do not read back): {len(problems)}", ""]
    out += [f"- {p}" for p in problems]
    return "\n".join(out) + "\n"


def text(rows, faults, problems, tol):
    w = max(len(r["entry"]) for r in rows) if rows else 10
    lines = [f"{'entry':<{w}}  {'class':<34} {'metric':<32} {'cell':<18} {'published':>10} {'expected':>10} {'ratio':>7}"]
    for r in rows:
        flag = "" if r["pass"] else (" tolerated" if r["tolerated"] else " OFF")
        if r["status"] == "faulty":
            flag = " (faulty)"
        lines.append(f"{r['entry']:<{w}}  {r['class']:<34} {r['metric']:<32} {r['cell']:<18} {fmt(r['published']):>10} "
                     f"{fmt(r['expected']):>10} {fmt(r['ratio'], 3):>7}{flag}{'  ' + r['note'] if r['note'] else ''}")
    lines.append("")
    lines.append("per class (healthy figures, published/expected): figures, median, min, max")
    for c, (n, med, lo, hi) in class_summary(rows).items():
        lines.append(f"  {c:<34} {n:>3}  {med:.3f}  {lo:.3f}  {hi:.3f}")
    lines.append("")
    for f in faults:
        lines.append(f"faulty {f['entry']}: wants {', '.join(f['want'])}: "
                     f"{'flagged' if not f['missing'] else 'MISSING ' + ', '.join(f['missing'])}")
    lines.append("")
    lines.append(f"{len(problems)} failure(s) (±{tol:.0%}):")
    lines += [f"  {p}" for p in problems]
    return "\n".join(lines) + "\n"


BEGIN, END = "<!-- calibration table: begin (scripts/calibration.py --doc) -->", "<!-- calibration table: end -->"


def write_doc(path, table):
    with open(path) as f:
        doc = f.read()
    if BEGIN not in doc or END not in doc:
        raise SystemExit(f"{path} has no calibration markers")
    head, rest = doc.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    with open(path, "w") as f:
        f.write(head + BEGIN + "\n\n" + table + "\n" + END + tail)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rigcheck", default=os.path.join(ROOT, "build", "cli", "rigcheck"), help="the rigcheck executable")
    ap.add_argument("--corpus", default=os.path.join(ROOT, "tests", "calibration", "corpus.json"))
    ap.add_argument("--markdown", action="store_true", help="print the table as Markdown (docs/calibration.md)")
    ap.add_argument("--check", action="store_true", help="exit 1 on any failure")
    ap.add_argument("--doc", metavar="MD", help="replace the Markdown table between the calibration markers of this file")
    args = ap.parse_args()
    with open(args.corpus) as f:
        corpus = json.load(f)
    with tempfile.TemporaryDirectory() as work:
        rows, faults, problems = evaluate(Rigcheck(args.rigcheck, work), corpus)
    if args.doc:
        write_doc(args.doc, markdown(rows, faults, problems, corpus["tolerance"]))
    printer = markdown if args.markdown else text
    sys.stdout.write(printer(rows, faults, problems, corpus["tolerance"]))
    return 1 if args.check and problems else 0


if __name__ == "__main__":
    sys.exit(main())

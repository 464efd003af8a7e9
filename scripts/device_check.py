#!/usr/bin/env python3
"""Judges the output directory of scripts/device-check.sh: fails on implausible physics, not only on
errors. Prints one PASS/FAIL/SKIP line per check and a closing "N passed, M failed" line.

Exit codes: 0 every check passed, 1 a check failed, 2 the directory is incomplete.
Usage: device_check.py OUTDIR [--accept-simulated]   (the flag is for testing this script)
"""
import json
import os
import re
import sys


def json_documents(path):
    """Every JSON document in a file (rigcheck bench allreduce --procs both prints one per model)."""
    text = open(path).read()
    decoder, docs, i = json.JSONDecoder(), [], 0
    while True:
        i = text.find("{", i)
        if i < 0:
            return docs
        try:
            doc, end = decoder.raw_decode(text, i)
        except json.JSONDecodeError:
            i += 1
            continue
        docs.append(doc)
        i = end


class Verdicts:
    def __init__(self):
        self.lines, self.passed, self.failed = [], 0, 0

    def check(self, ok, name, detail):
        self.lines.append(("PASS " if ok else "FAIL ") + name + ": " + detail)
        if ok:
            self.passed += 1
        else:
            self.failed += 1

    def skip(self, name, why):
        self.lines.append("SKIP " + name + ": " + why)


def pair_of(name):
    m = re.search(r"/gpu(\d+)-gpu(\d+)$", name)
    return (int(m.group(1)), int(m.group(2))) if m else None


def judge(out, accept_simulated=False):
    v = Verdicts()
    need = ["topo.json", "bench.json", "selftest.txt"]
    missing = [f for f in need if not os.path.exists(os.path.join(out, f))]
    if missing:
        print("device-check: incomplete output, missing " + ", ".join(missing), file=sys.stderr)
        return None
    topo = json.load(open(os.path.join(out, "topo.json")))
    bench = json.load(open(os.path.join(out, "bench.json")))
    real = bench.get("mode") == "real"
    v.check(real or accept_simulated, "mode", "bench ran on " + bench.get("backend", "?"))
    gpus = topo["gpus"]
    v.check(len(gpus) > 0, "gpus", "%d GPU(s) in the topology" % len(gpus))
    for g in gpus:
        v.check(g["cuda_index"] >= 0 or not real, "gpu%d-joined" % g["index"],
                "%s %s is CUDA device %d" % (g["address"], g["name"], g["cuda_index"]))
    cells = {c["name"]: c for c in bench["cells"]}

    for name, c in sorted(cells.items()):
        allowed = ("ok", "unsupported") if pair_of(name) else ("ok",)
        if c["status"] not in allowed:
            v.check(False, "status " + name, c["status"] + ": " + c["detail"])
    for name, c in sorted(cells.items()):
        pair = pair_of(name)
        if not pair or c["status"] != "ok":
            continue
        src, dst = c["src"].get("gpu"), c["dst"].get("gpu")
        v.check(src != dst and (src, dst) == pair, "endpoints " + name, "GPU%s -> GPU%s" % (src, dst))

    for g in gpus:
        i = g["index"]
        h2d, d2h = cells.get("host_to_device_ce/gpu%d" % i), cells.get("device_to_host_ce/gpu%d" % i)
        local, latency = cells.get("device_local_copy_ce/gpu%d" % i), cells.get("host_latency_sm/gpu%d" % i)
        line = g["host_path"]["gbps"]
        if not (h2d and d2h and local and latency):
            v.check(False, "gpu%d-cells" % i, "the host, local and latency cells are missing")
            continue
        for label, c in (("h2d", h2d), ("d2h", d2h)):
            share = c["median"] / line if line > 0 else 0
            v.check(0.70 <= share <= 1.00, "gpu%d-%s-vs-line-rate" % (i, label),
                    "%.2f GB/s = %.0f%% of the %.2f GB/s line rate (%s); plausible: 70-100%%"
                    % (c["median"], 100 * share, line, g["host_path"]["where"]))
        v.check(local["median"] >= 5 * h2d["median"], "gpu%d-local-copy" % i,
                "device-local %.1f GB/s vs H2D %.1f GB/s (at least 5x)" % (local["median"], h2d["median"]))
        v.check(h2d["samples"] != d2h["samples"], "gpu%d-d2h-is-its-own-measurement" % i,
                "D2H samples %s... vs H2D %s..." % (d2h["samples"][:3], h2d["samples"][:3]))
        v.check(200 <= latency["median"] <= 10000, "gpu%d-host-latency" % i,
                "%.0f ns per dependent access to pinned host memory (plausible: 200-10000)" % latency["median"])
        link = (topo["pci"][g["node"]].get("link") or {}).get("max", {})
        observed = [o for c in (h2d, d2h) for o in c["observations"] if o["gpu"] == i]
        if not observed:
            v.skip("gpu%d-link-under-load" % i, "NVML did not sample the link (no libnvidia-ml?)")
        elif link.get("gen"):
            best = max(o["link_max"]["gen"] for o in observed)
            v.check(best >= link["gen"], "gpu%d-link-under-load" % i,
                    "Gen%d under load, maximum Gen%d" % (best, link["gen"]))

    selftest = open(os.path.join(out, "selftest.txt")).read()
    passed = len(re.findall(r": ok \(pattern verified", selftest))
    v.check(passed == len(gpus) and "FAIL" not in selftest, "selftest",
            "%d of %d GPU(s) verified the pattern" % (passed, len(gpus)))

    nccl_path = os.path.join(out, "nccl.txt")
    docs = json_documents(nccl_path) if os.path.exists(nccl_path) else []
    if not docs:
        v.skip("nccl", "no collectives output (built without NCCL?)")
    for d in docs:
        model = d.get("process_model", "?")
        v.check(d.get("status") == "ok", "nccl-" + model, "%s: %s %s" % (d.get("backend"), d.get("status"), d.get("detail", "")))
        wrong = [r for r in d.get("results", []) if r.get("check") not in ("ok", "skipped")]
        v.check(not wrong, "nccl-" + model + "-results", "%d row(s) not ok" % len(wrong))
        if len(gpus) >= 2 and model == "per-gpu":
            counts = d.get("transports", {}).get("counts", {})
            v.check(bool(counts), "nccl-per-gpu-transports", "transports NCCL chose: %s" % (counts or "none reported"))

    report_path = os.path.join(out, "device-check.json")
    if os.path.exists(report_path):
        r = json.load(open(report_path))
        v.check(r.get("status") == "complete" and (r.get("mode") == "real" or accept_simulated), "run",
                "report %s, %s, verdict %s" % (r.get("status"), r.get("mode"), r.get("verdict", {}).get("summary")))
    else:
        v.skip("run", "no report of rigcheck run")
    return v


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    v = judge(args[0], "--accept-simulated" in sys.argv)
    if v is None:
        return 2
    for line in v.lines:
        print(line)
    print("%d passed, %d failed" % (v.passed, v.failed))
    return 1 if v.failed else 0


if __name__ == "__main__":
    sys.exit(main())

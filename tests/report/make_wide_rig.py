#!/usr/bin/env python3
"""Writes a 16-GPU rig for the report size tests: the Supermicro 4029GP seed rig (two PEX 9797
switches on one CPU) with eight RTX 3090s behind each switch instead of five, and its
acs-and-iommu-on variant redirecting on every switch port. Usage: make_wide_rig.py SEED_RIG OUT"""
import json
import sys

GPUS_PER_SWITCH = 8


def main():
    rig = json.load(open(sys.argv[1], encoding="utf-8"))
    rig["name"] = "generated-16x3090-two-switches"
    rig["description"] = "Generated for rigcheck's report size tests: " + rig["description"]
    rig["source"] = "generated from results/rigs/supermicro-4029gp-trt2-10x3090.json by tests/report/make_wide_rig.py"
    bus = 0x40  # buses of the added GPUs, clear of the seed rig's
    for rp in rig["root_ports"]:
        ports = rp["switch"]["ports"]
        prefix = ports[0]["address"].rsplit(":", 1)[0]
        free = [d for d in range(0x1f, 0, -1) if "%s:%02x.0" % (prefix, d) not in {p["address"] for p in ports}]
        while len(ports) < GPUS_PER_SWITCH:
            device = free.pop()
            ports.append({"address": "%s:%02x.0" % (prefix, device), "acs": "off",
                          "gpu": {"address": "0000:%02x:00.0" % bus, "model": ports[0]["gpu"]["model"]}})
            bus += 1
    for v in rig["variants"]:
        if v["name"] != "acs-and-iommu-on":
            continue
        v["patch"] = [p for p in v["patch"] if not p["path"].endswith("/acs")]
        for i, rp in enumerate(rig["root_ports"]):
            for j in range(len(rp["switch"]["ports"])):
                v["patch"].append({"op": "replace", "path": "/root_ports/%d/switch/ports/%d/acs" % (i, j), "value": "redirect"})
    json.dump(rig, open(sys.argv[2], "w", encoding="utf-8"), indent=2)


if __name__ == "__main__":
    main()

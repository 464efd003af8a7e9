// What an imported output shows went wrong: wrong data, a crash or error line, an output that
// stops (a hang, a crash, or a cut paste: the text alone cannot tell which), a block that could
// not be read, and nccl-tests' own signatures (wrong results, a single rank, a binary built
// without MPI under mpirun, bus bandwidth collapsing above a size). Then every finding of an
// import in one list: measured rules, these, and the relative rules.

#include <map>
#include <set>

#include "import_util.h"
#include "rigcheck/report/import_rules.h"
#include "rigcheck/report/measured_rules.h"
#include "rigcheck/topology/pcie_link.h"

namespace rigcheck::report {

std::vector<Finding> import_relative_findings(const ingest::PartialMachine& m, const ingest::MachineModel& mm, const ImportedRun& r);

namespace {

using detail::FindingSet;
using ingest::Event;

const Finding kCorrupt{"p2p-data-corruption", Severity::critical, "Copies delivered wrong data", {},
                       "The tool checked the destination and found other data than it wrote. Wrong data is worse than slow "
                       "data: training silently diverges. Seen with drivers that report P2P on hardware that cannot do it, "
                       "and with ACS/IOMMU problems.",
                       "Disable P2P for the affected GPUs (NCCL_P2P_DISABLE=1) until fixed; update the driver; check ACS "
                       "(`sudo lspci -vvv | grep -i acsctl`) and the IOMMU; run `rigcheck doctor` on the machine.",
                       "NVIDIA/nvbandwidth#19, NVIDIA/nvbandwidth#34", {}};
const Finding kCrash{"import-tool-crashed", Severity::critical, "The tool crashed or aborted", {},
                     "The output shows an abort, an assertion or a core dump: every test after it is missing, and the "
                     "one that was running is the first suspect.",
                     "Run the failing test alone (nvbandwidth -t NAME, or the nccl-tests binary with the same sizes); "
                     "check `dmesg` for Xid and AER lines; run `rigcheck run` on the machine.",
                     "", {}};
const Finding kError{"import-tool-error", Severity::warning, "The tool reported an error", {},
                     "A CUDA, NVML or NCCL error line is in the output; results after it may be missing or partial.",
                     "Read the error text; for NCCL, rerun with NCCL_DEBUG=INFO and look at the WARN lines.", "", {}};
const Finding kTruncated{"import-output-truncated", Severity::warning, "The output stops before it is complete", {},
                         "The pasted output ends in the middle of a test. Either the run hung or crashed there (the "
                         "classic P2P-through-ACS/IOMMU symptom), or the paste was cut: the text alone cannot tell which.",
                         "If the run really stopped there, rerun that test alone with a timeout and check ACS and IOMMU "
                         "(`rigcheck doctor`); if the paste was cut, import the whole output.",
                         "NVIDIA/nccl-tests#117", {}};
const Finding kUnparsed{"import-block-unparsed", Severity::warning, "Part of an input could not be read", {},
                        "A block of a known tool's output could not be parsed (damaged or of an unknown version); the rest "
                        "of the input was imported.",
                        "Paste the tool's raw output (a file or `tool | rigcheck import -`), not a reformatted copy.", "", {}};
const Finding kWaived{"import-test-waived", Severity::info, "Tests were waived by the tool", {},
                      "nvbandwidth waives tests that cannot run on this machine: device-to-device tests without peer "
                      "access, tests that need more GPUs.",
                      "Nothing to fix by itself; see the P2P findings for pairs without peer access.", "", {}};
const Finding kDisagree{"import-inputs-disagree", Severity::warning, "The inputs describe different machines", {},
                        "The same GPU index has different models in different outputs, so they were not run on one "
                        "machine (or not with the same CUDA_VISIBLE_DEVICES); merged, their figures would be compared "
                        "with the wrong card.",
                        "Import each machine's outputs separately.", "", {}};
const Finding kLinkLimited{"pcie-link-limited-at-boot", Severity::warning, "The kernel reports a PCIe link below what the device can do", {},
                           "At enumeration the kernel found the device's link narrower or slower than both ends support, "
                           "and names the port that limits it. A width below the device's stays that way under load; a "
                           "lower speed on a GPU that was idle at boot may retrain later (check LnkSta under load).",
                           "Check the named port's slot: lanes shared or bifurcated in the BIOS, a riser or cable, the slot's "
                           "wiring (x16 slots wired x4/x8); `sudo lspci -vv -s BDF | grep -E 'LnkCap|LnkSta'` under load.",
                           "drivers/pci/pci.c __pcie_print_link_status", {}};
const Finding kAerCorrected{"pcie-aer-errors", Severity::warning, "PCIe errors in the kernel log", {},
                            "Corrected errors (bad TLP/DLLP, replay timeouts) mean the link retransmits: signal integrity "
                            "(risers, connectors, a marginal Gen4/Gen5 link) costing bandwidth; uncorrectable ones lose "
                            "transactions and usually take the device down.",
                            "Reseat the card, replace the riser, or lower the slot's PCIe generation in the BIOS until the "
                            "errors stop.",
                            "wilicc/gpu-burn#1", {}};
const Finding kXid{"gpu-xid", Severity::warning, "The NVIDIA driver logged an Xid error", {},
                   "Xid lines are the driver's error reports. Xid 79 (GPU has fallen off the bus) is a PCIe or power "
                   "failure: the GPU stopped answering; others name driver, memory or application faults.",
                   "For Xid 79: reseat the card and riser, check the power cables and PSU, lower the slot's PCIe "
                   "generation; for others look the number up in NVIDIA's Xid table.",
                   "NVIDIA Xid errors documentation", {}};
const Finding kNcclShm{"nccl-not-using-p2p", Severity::info, "NCCL moved GPU-to-GPU data through host memory (SHM)", {},
                       "Every connection NCCL logged between GPUs of a node went through host shared memory, none "
                       "through P2P: P2P was disabled (NCCL_P2P_DISABLE, NCCL_P2P_LEVEL), not available (GeForce "
                       "stock driver, ACS/IOMMU), or NCCL judged it slower. Expect about half the bandwidth of P2P.",
                       "If P2P should work here (peer access granted), check NCCL_P2P_* settings and ACS/IOMMU "
                       "(`rigcheck doctor`); NCCL_DEBUG_SUBSYS=INIT,P2P says why it chose SHM.",
                       "NVIDIA/nccl-tests#307", {}};
const Finding kWidthBelow{"pcie-width-below-max", Severity::warning, "A PCIe link runs narrower than it can", {},
                           "lspci shows fewer lanes in use (LnkSta) than the device and slot support (LnkCap), or marks "
                           "the width downgraded. Unlike the speed, the width does not recover under load: every host "
                           "and PCIe peer transfer of the device is cut by the same factor.",
                           "Reseat the card; check the slot's wiring and the BIOS bifurcation/lane-sharing settings "
                           "(M.2 slots often take lanes), the riser or cable.",
                           "", {}};
const Finding kSpeedBelow{"pcie-gen-below-max-at-rest", Severity::info, "A PCIe link runs at a lower speed than it can (normal at idle)", {},
                          "An idle NVIDIA GPU drops its link to 2.5 GT/s (Gen1) to save power and retrains under load, "
                          "so a lower speed in an lspci taken at rest is not a fault by itself.",
                          "Read LnkSta again while a transfer runs (`nvbandwidth -t host_to_device_memcpy_ce` in another "
                          "shell); a speed still low then is the fault.",
                          "tinygrad/open-gpu-kernel-modules#6", {}};
const Finding kVllmP2p{"vllm-p2p-check-failed", Severity::warning, "vLLM found no working P2P and turned its custom all-reduce off", {},
                       "vLLM tests P2P between its GPUs before using its custom all-reduce and caches the answer per GPU "
                       "set; a failed test (or a cached failure from an earlier driver or BIOS state) leaves NCCL doing "
                       "every all-reduce.",
                       "Check P2P with `rigcheck doctor` or p2pBandwidthLatencyTest; if it works now, delete the cache file "
                       "named in the evidence so vLLM tests again; otherwise see the P2P findings.",
                       "vllm-project/vllm#4770", {}};
const Finding kVllmPcie{"vllm-custom-allreduce-pcie-only", Severity::info, "vLLM does not use its custom all-reduce on more than two PCIe GPUs", {},
                        "vLLM turns its custom all-reduce off for more than two GPUs without NVLink, whatever PCIe P2P can do; "
                        "NCCL does the all-reduce. Expected behaviour, not a fault.",
                        "Nothing to fix; NCCL's own P2P use decides the all-reduce speed here.", "noonghunna/club-3090#786", {}};
const Finding kNcclWrong{"nccl-wrong-results", Severity::critical, "NCCL produced wrong results", {},
                         "nccl-tests counted wrong elements (#wrong > 0, or out-of-bounds values): the collective "
                         "returned corrupt data, typically P2P on a platform that cannot do it (ACS, IOMMU, a patched "
                         "driver).",
                         "Run with NCCL_P2P_DISABLE=1 to confirm; then fix ACS/IOMMU (`rigcheck doctor`) or the driver.",
                         "NVIDIA/nccl-tests#167", {}};
const Finding kSingleRank{"nccl-tests-single-rank", Severity::warning, "nccl-tests ran with one rank: busbw is 0 by definition", {},
                          "Bus bandwidth is algbw x 2(n-1)/n for all-reduce, 0 with one rank: every process ran alone "
                          "(a binary built without MPI=1 under mpirun, or -g 1 in a single process).",
                          "Rebuild with `make MPI=1 MPI_HOME=…` and launch one rank per GPU with mpirun, or use `-g N` in "
                          "one process.",
                          "NVIDIA/nccl-tests#249, NVIDIA/nccl-tests#294", {}};
const Finding kNotMpi{"nccl-tests-not-mpi", Severity::warning, "nccl-tests binary not built with MPI, started under mpirun", {},
                      "Each process printed its own header and called itself rank 0: mpirun started independent 1-rank "
                      "jobs instead of one job, so nothing was measured between the GPUs.",
                      "`make clean && make MPI=1 MPI_HOME=/path/to/mpi`, then rerun with mpirun.", "NVIDIA/nccl-tests#27", {}};
const Finding kCollapse{"nccl-busbw-collapse", Severity::warning, "Bus bandwidth collapses above a message size", {},
                        "busbw should rise with size and stay near its peak. A collapse at large sizes points to a "
                        "protocol or transport switch that goes wrong (P2P through a redirecting bridge, host memory "
                        "pressure, a NIC falling back).",
                        "Rerun with NCCL_DEBUG=INFO around the size where it drops and compare NCCL_P2P_DISABLE=1; "
                        "check ACS/IOMMU with `rigcheck doctor`.",
                        "", {}};

void event_findings(const ingest::PartialMachine& m, FindingSet& out) {
  for (const auto& c : m.conflicts) out.add(kDisagree, c);
  for (const Event& e : m.events) {
    const std::string line = detail::at(e.from) + ": " + (e.test.empty() ? "" : e.test + ": ") + e.text;
    switch (e.kind) {
      case Event::Kind::corrupt: out.add(kCorrupt, line); break;
      case Event::Kind::crash: out.add(kCrash, line); break;
      case Event::Kind::error: out.add(kError, line); break;
      case Event::Kind::truncated: out.add(kTruncated, line); break;
      case Event::Kind::unparsed: out.add(kUnparsed, detail::at(e.from) + ": " + e.from.tool + ": " + e.text); break;
      case Event::Kind::waived: out.add(kWaived, line); break;
    }
  }
}

int gpu_by_address(const ingest::PartialMachine& m, const ingest::MachineModel& mm, const std::string& bdf) {
  // Xid lines give "0000:63:00" without the function.
  for (const auto& g : m.gpus)
    if (g.address && (g.address->str() == bdf || g.address->str().rfind(bdf + ".", 0) == 0)) return ingest::position_of(mm, g.index);
  return -1;
}

void kernel_findings(const ingest::PartialMachine& m, const ingest::MachineModel& mm, FindingSet& out) {
  using K = ingest::KernelEvent::Kind;
  for (const auto& e : m.kernel) {
    const std::string where = " (" + detail::at(e.from) + ")";
    const int gpu = gpu_by_address(m, mm, e.device);
    switch (e.kind) {
      case K::link_limited:
        out.add(kLinkLimited,
                e.device + ": limited to " + e.limited_to + " by the link at " + e.limited_at + ", capable of " + e.capable_of + where, {gpu});
        break;
      case K::aer_corrected: out.add(kAerCorrected, e.device + ": " + e.text + where, {gpu}); break;
      case K::aer_uncorrected: {
        Finding f = kAerCorrected;
        f.severity = Severity::critical;
        out.add(f, e.device + ": " + e.text + where, {gpu});
        out.get(f).severity = Severity::critical;
        break;
      }
      case K::xid: {
        Finding f = kXid;
        if (e.xid == 79) f.severity = Severity::critical;
        out.add(f, e.device + ": " + e.text + where, {gpu});
        if (e.xid == 79) out.get(f).severity = Severity::critical;
        break;
      }
    }
  }
}

void lspci_findings(const ingest::PartialMachine& m, const ingest::MachineModel& mm, FindingSet& out) {
  for (const auto& k : m.lspci) {
    const std::string who = (k.device.empty() ? std::string("a device (no header line pasted)") : k.device) +
                            (k.name.empty() ? "" : " (" + k.name + ")");
    const std::string where = " (" + detail::at(k.from) + ")";
    const int gpu = gpu_by_address(m, mm, k.device);
    const bool narrower = (k.cap.width && k.sta.width && k.sta.width < k.cap.width) || k.width_downgraded;
    const bool slower = (k.cap.gen && k.sta.gen && k.sta.gen < k.cap.gen) || k.speed_downgraded;
    if (narrower)
      out.add(kWidthBelow, who + ": LnkSta " + describe(k.sta) + (k.cap.known() ? ", LnkCap " + describe(k.cap) : ", marked downgraded") + where, {gpu});
    else if (slower)
      out.add(kSpeedBelow, who + ": LnkSta " + describe(k.sta) + (k.cap.known() ? ", LnkCap " + describe(k.cap) : ", marked downgraded") + where, {gpu});
  }
}

void vllm_findings(const ingest::PartialMachine& m, FindingSet& out) {
  const auto& v = m.vllm;
  const std::string at = " (" + detail::at(v.from) + ")";
  if (v.p2p_failed)
    out.add(kVllmP2p, std::to_string(v.p2p_failed) + " \"lacks GPU P2P capability or P2P test failed\" line(s)" +
                          (v.cache_file.empty() ? "" : "; verdict read from the cache " + v.cache_file) + at);
  if (v.pcie_only) out.add(kVllmPcie, std::to_string(v.pcie_only) + " \"more than two PCIe-only GPUs\" line(s)" + at);
}

void transport_findings(const ingest::PartialMachine& m, FindingSet& out) {
  const auto& n = m.nccl;
  if (n.shm == 0 || n.p2p > 0) return;
  Finding f = kNcclShm;
  const bool granted = std::any_of(m.pairs.begin(), m.pairs.end(), [](const ingest::ImportedPair& p) { return p.p2p_granted == true; });
  // Peer access granted yet unused is a problem; with P2P switched off or unavailable it is the expected path.
  if (granted && !n.p2p_disabled) f.severity = Severity::warning;
  out.add(f, std::to_string(n.shm) + " connection(s) via SHM, 0 via P2P, " + std::to_string(n.net) + " via NET (" + detail::at(n.from) +
                 ", " + n.format + ")" + (n.p2p_disabled ? "; P2P disabled by the environment" : "") +
                 (granted ? "; peer access is granted between some GPUs" : ""));
}

void nccl_findings(const ingest::PartialMachine& m, FindingSet& out) {
  for (const auto& c : m.collectives) {
    const std::string name = (c.op.empty() ? std::string("nccl-tests") : c.op + "_perf") + " at " + detail::at(c.from);
    long wrong = 0;
    for (const auto& r : c.rows)
      if (r.wrong > 0) wrong += r.wrong;
    if (wrong > 0) out.add(kNcclWrong, name + ": " + std::to_string(wrong) + " wrong element(s) over the sweep");
    // One rank: algbw > 0 but busbw exactly 0 at every size of at least 1 MiB (all-reduce family).
    int big = 0, zero_bus = 0;
    for (const auto& r : c.rows)
      if (r.bytes >= (1u << 20) && r.algbw > 0) ++big, zero_bus += r.busbw == 0;
    if (big > 0 && zero_bus == big) out.add(kSingleRank, name + ": busbw 0.00 at all " + std::to_string(big) + " sizes >= 1 MiB while algbw > 0");
    if (c.headers > 1 || c.avg_lines > 1)
      out.add(kNotMpi, name + ": " + std::to_string(c.headers) + " headers" +
                           (c.avg_lines > 1 ? ", " + std::to_string(c.avg_lines) + " \"Avg bus bandwidth\" lines" : "") +
                           " in one run (" + std::to_string(c.ranks) + " rank lines)");
    // Collapse: a size above the peak whose busbw is under half of the peak (out-of-place rows).
    double peak = 0;
    uint64_t peak_bytes = 0;
    for (const auto& r : c.rows)
      if (!r.in_place && r.busbw > peak) peak = r.busbw, peak_bytes = r.bytes;
    for (const auto& r : c.rows)
      if (!r.in_place && r.bytes > peak_bytes && peak > 1 && r.busbw < 0.5 * peak) {
        out.add(kCollapse, name + ": busbw " + detail::gbps(r.busbw) + " at " + std::to_string(r.bytes) + " bytes after a peak of " +
                               detail::gbps(peak) + " at " + std::to_string(peak_bytes) + " bytes");
        break;
      }
  }
}

}  // namespace

std::vector<Finding> import_findings(const ingest::PartialMachine& m, const ingest::MachineModel& mm, const ImportedRun& r) {
  // The measured rules see only the figures judged on rigcheck's own tests: the others have no
  // plan that says which path they took.
  bench::BenchRun judged = r.run;
  judged.cells.clear();
  std::vector<Judgement> judgements;
  for (size_t i = 0; i < r.run.cells.size(); ++i)
    if (m.cells[r.source[i]].mapped && r.judgements[i].expected.value > 0)
      judged.cells.push_back(r.run.cells[i]), judgements.push_back(r.judgements[i]);
  std::vector<Finding> all = measured_findings(mm.assumed, judged, judgements);
  // What each judged figure's expectation assumed, said on its evidence line.
  std::map<std::string, std::string> assumed;
  // A plan's row or col is -1 for "all GPUs" (all_to_one, one_to_all): no one card, no one pair.
  const auto gpu = [&](int position) { return position >= 0 && static_cast<size_t>(position) < mm.index_of.size(); };
  for (const auto& c : judged.cells) {
    const bool host = c.plan.src.is_host() || c.plan.dst.is_host();
    const auto* link = gpu(c.plan.col) ? &mm.assumed.pci[mm.assumed.gpus[c.plan.col].node].link : nullptr;
    if (host && link && *link && (*link)->max.known())
      assumed[c.plan.name()] = " (assuming the card's " + describe((*link)->max) + ")";
    else if (!host)
      assumed[c.plan.name()] = " (path between the GPUs not given)";
    if (!host && gpu(c.plan.row) && gpu(c.plan.col))
      if (const auto* p = ingest::find_pair(m, mm.index_of[c.plan.row], mm.index_of[c.plan.col]); p && (p->path || p->nvlink_links))
        assumed.erase(c.plan.name());
  }
  for (auto& f : all)
    for (auto& e : f.evidence) {
      const auto it = assumed.find(e.substr(0, e.find(':')));
      if (f.id == "below-expectation" && it != assumed.end()) e += it->second;
      e = "IMPORTED " + e;
    }
  FindingSet set;
  event_findings(m, set);
  kernel_findings(m, mm, set);
  transport_findings(m, set);
  lspci_findings(m, mm, set);
  vllm_findings(m, set);
  nccl_findings(m, set);
  for (auto& f : import_relative_findings(m, mm, r)) all.push_back(std::move(f));
  for (auto& f : set.list) all.push_back(std::move(f));
  std::stable_sort(all.begin(), all.end(), [](const Finding& a, const Finding& b) { return a.severity > b.severity; });
  return all;
}

}  // namespace rigcheck::report

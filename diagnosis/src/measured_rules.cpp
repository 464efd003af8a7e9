#include "rigcheck/diagnosis/measured_rules.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "rigcheck/fabric/fabric_constants.h"
#include "rigcheck/topology/nvml.h"
#include "rigcheck/topology/paths.h"

namespace rigcheck::diagnosis {
namespace {

using bench::CellResult;
using bench::CellStatus;

std::string fmt(double v, const char* unit) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.2f %s", v, unit);
  return buf;
}

std::vector<int> gpus_of(const CellResult& c) {
  std::vector<int> g;
  for (const auto& e : {c.plan.src, c.plan.dst})
    if (!e.is_host() && e.gpu >= 0) g.push_back(e.gpu);
  return g;
}

// Cells grouped under one finding id, each adding a line of evidence.
struct Collector {
  std::map<std::string, Finding> by_id;
  std::vector<std::string> order;
  Finding& get(const std::string& id, Finding proto) {
    auto it = by_id.find(id);
    if (it != by_id.end()) return it->second;
    order.push_back(id);
    proto.id = id;
    return by_id[id] = std::move(proto);
  }
  void add(const std::string& id, Finding proto, const std::string& evidence, const std::vector<int>& gpus) {
    Finding& f = get(id, std::move(proto));
    if (f.evidence.size() < 12) f.evidence.push_back(evidence);
    else if (f.evidence.size() == 12) f.evidence.push_back("…");
    for (int g : gpus)
      if (std::find(f.gpus.begin(), f.gpus.end(), g) == f.gpus.end()) f.gpus.push_back(g);
  }
};

// The static cause on a cell's path, when there is one: ACS redirect, IOMMU, chipset, slot.
std::string cause_on_path(const topology::Topology& t, const CellResult& c) {
  std::vector<std::string> causes;
  for (int g : gpus_of(c)) {
    const auto& gpu = t.gpus[g];
    const auto& n = t.pci[gpu.node];
    if (gpu.chipset_attached) causes.push_back("GPU" + std::to_string(g) + " is in a chipset slot");
    if (n.link && n.link->port_max.known() && n.link->device_max.known() &&
        (n.link->port_max.width < n.link->device_max.width || n.link->port_max.gen < n.link->device_max.gen))
      causes.push_back("GPU" + std::to_string(g) + "'s slot is limited to " + describe(n.link->port_max));
  }
  if (c.plan.row >= 0) {
    for (int x : topology::bridges_on_path(t, t.gpus[c.plan.row].node, t.gpus[c.plan.col].node))
      if (t.pci[x].acs && t.pci[x].acs->redirects_p2p() && t.pci[x].address)
        causes.push_back("ACS redirect on " + t.pci[x].address->str());
    if (t.system.iommu == topology::IommuMode::translated) causes.push_back("the IOMMU translates peer traffic");
  }
  std::string s;
  for (const auto& x : causes) s += (s.empty() ? "" : "; ") + x;
  return s;
}

}  // namespace

std::vector<Finding> measured_findings(const topology::Topology& t, const bench::BenchRun& run,
                                       const std::vector<Judgement>& judgements) {
  Collector c;
  const auto& k = fabric::default_fabric_constants();
  std::set<int> downtrained_seen;  // one line per GPU, not per cell
  for (size_t i = 0; i < run.cells.size(); ++i) {
    const CellResult& cell = run.cells[i];
    const Judgement& j = judgements.at(i);
    const std::string name = cell.plan.name();
    if (cell.status == CellStatus::corrupt) {
      c.add("p2p-data-corruption",
            {"", Severity::critical, "Copies delivered wrong data", {},
             "The destination did not hold what was sent. Wrong data is worse than slow data: training silently "
             "diverges. Seen with drivers that report P2P on hardware that cannot do it, and with ACS/IOMMU problems.",
             "Disable P2P for the affected GPUs (NCCL_P2P_DISABLE=1) until fixed; update the driver; check ACS and IOMMU "
             "findings; re-run `rigcheck bench` to confirm.",
             "research/reference-figures.md §6", {}},
            name + ": " + cell.detail, gpus_of(cell));
    } else if (cell.status == CellStatus::hang) {
      c.add("transfer-hang",
            {"", Severity::critical, "Transfers did not finish", {},
             "A copy group exceeded its timeout: the classic symptom of P2P through a redirecting ACS bridge or IOMMU, "
             "or of a driver that claims P2P it cannot do.",
             "Check the acs-redirect and iommu findings; try NCCL_P2P_DISABLE=1 to confirm P2P is the cause.",
             "NVIDIA/nccl#199", {}},
            name + ": " + cell.detail, gpus_of(cell));
    }
    if (j.verdict == Verdict::below_expectation || j.verdict == Verdict::cross_socket) {
      std::string cause = cause_on_path(t, cell);
      c.add("below-expectation",
            {"", Severity::warning, "Measured bandwidth below what this machine should do", {},
             "Each line compares the median with the figure the healthy machine gives (links at maximum, no ACS "
             "redirect, no IOMMU translation). A cause on the path, when rigcheck sees one, is named.",
             "Fix the causes named in the evidence (see their own findings); a link downtrained under load needs a "
             "reseat, another riser or slot.",
             "DESIGN.md §7", {}},
            name + ": " + fmt(cell.value(), cell.unit.c_str()) + " = " + std::to_string(static_cast<int>(j.ratio * 100 + 0.5)) +
                "% of " + fmt(j.expected.value, cell.unit.c_str()) + (cause.empty() ? "" : " (" + cause + ")"),
            gpus_of(cell));
    }
    // Direct P2P slower than bouncing through host memory would be: the ACS/IOMMU signature.
    if (cell.status == CellStatus::ok && cell.plan.row >= 0 && cell.plan.path == fabric::PeerPath::direct &&
        cell.unit == "GB/s" && cell.plan.direction == "uni") {
      const auto& ga = t.gpus[cell.plan.row];
      const auto& gb = t.gpus[cell.plan.col];
      const auto* pair = t.pair(cell.plan.row, cell.plan.col);
      if (pair && pair->nvlink_links == 0 && ga.host_path.gbps > 0 && gb.host_path.gbps > 0) {
        const double staged = std::min(ga.host_path.gbps, gb.host_path.gbps) * k.pcie_efficiency_ce * k.host_staged_efficiency;
        if (cell.value() < staged) {
          std::string cause = cause_on_path(t, cell);
          c.add("p2p-slower-than-host-staged",
                {"", Severity::critical, "Peer-to-peer is slower than going through host memory would be", {},
                 "Direct P2P should beat the host-staged path. When it does not, traffic is being detoured (ACS "
                 "redirect, IOMMU translation) or the platform forwards P2P poorly; NCCL then does better with P2P off.",
                 "Fix the ACS/IOMMU findings; meanwhile NCCL_P2P_DISABLE=1 is faster on this machine.",
                 "NVIDIA/nccl#814", {}},
                name + ": " + fmt(cell.value(), "GB/s") + " direct vs ~" + fmt(staged, "GB/s") + " host-staged" +
                    (cause.empty() ? "" : " (" + cause + ")"),
                gpus_of(cell));
        }
      }
    }
    for (const auto& o : cell.observations) {
      const auto& g = t.gpus[o.gpu];
      const auto& n = t.pci[g.node];
      // Every observation is judged; a GPU is reported once, at its first downtrained one.
      if (n.link && n.link->max.known() && o.max_link.known() &&
          (o.max_link.width < n.link->max.width || o.max_link.gen < n.link->max.gen) && downtrained_seen.insert(o.gpu).second) {
        c.add("link-downtrained-under-load",
              {"", Severity::critical, "A GPU link stays below its maximum while transferring", {},
               "Under load the link should train to its maximum; staying lower (a riser running Gen1, a card at x8) "
               "cuts every host and PCIe peer transfer of that GPU.",
               "Reseat the card and riser; try another riser rated for the generation, or another slot; if a riser "
               "cannot hold the speed, set the slot to a lower generation in the BIOS so at least it is stable.",
               "research/reference-figures.md §1", {}},
              "GPU" + std::to_string(o.gpu) + " " + g.address.str() + ": best " + describe(o.max_link) + " under load, maximum " +
                  describe(n.link->max),
              {o.gpu});
      }
      if (o.replay_delta && *o.replay_delta > 0)
        c.add("pcie-replays-during-test",
              {"", Severity::warning, "PCIe replays during the test", {},
               "The link retransmitted packets: signal-integrity trouble (risers, connectors), costing bandwidth.",
               "Reseat or replace the riser; lower the slot's PCIe generation if replays persist.",
               "DCGM PCIe test (replay threshold)", {}},
              "GPU" + std::to_string(o.gpu) + ": " + std::to_string(*o.replay_delta) + " replays during " + name, {o.gpu});
      const uint64_t slowdown = o.clock_event_reasons & ~uint64_t{0x1 | 0x2 | 0x10 | 0x100};  // not idle/app/sync/display
      if (slowdown) {
        std::string reasons;
        for (const auto& r : topology::Nvml::describe_clock_event_reasons(slowdown)) reasons += (reasons.empty() ? "" : ", ") + r;
        c.add("throttling-during-test",
              {"", Severity::warning, "GPU clocks were throttled during the test", {},
               "Power or thermal limits lowered the clocks while measuring; SM-copy and compute numbers suffer.",
               "Check cooling and power cables; `nvidia-smi -q -d PERFORMANCE` shows the reasons live.",
               "NVML clock event reasons", {}},
              "GPU" + std::to_string(o.gpu) + ": " + reasons + " during " + name, {o.gpu});
      }
    }
    if (cell.host_numa_node >= 0) {
      for (int g : gpus_of(cell)) {
        if (t.gpus[g].numa_node >= 0 && t.gpus[g].numa_node != cell.host_numa_node && cell.plan.src.is_host() != cell.plan.dst.is_host())
          c.add("remote-numa-host-memory",
                {"", Severity::warning, "Host buffers were on another NUMA node than the GPU", {},
                 "Host-device traffic then crosses the inter-socket link.",
                 "Bind processes to the GPU's NUMA node (numactl --cpunodebind=N --membind=N).", "research/reference-figures.md §2",
                 {}},
                name + ": host memory on node " + std::to_string(cell.host_numa_node) + ", GPU" + std::to_string(g) +
                    " on node " + std::to_string(t.gpus[g].numa_node),
                {g});
      }
    }
  }
  std::vector<Finding> out;
  for (const auto& id : c.order) out.push_back(c.by_id[id]);
  std::stable_sort(out.begin(), out.end(), [](const Finding& a, const Finding& b) { return a.severity > b.severity; });
  return out;
}

}  // namespace rigcheck::diagnosis

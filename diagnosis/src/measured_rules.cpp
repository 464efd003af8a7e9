#include "rigcheck/diagnosis/measured_rules.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "rigcheck/diagnosis/catalogue.h"
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

// Cells grouped under one finding id (its wording from the catalogue), each adding a line of evidence.
struct Collector {
  std::map<std::string, Finding> by_id;
  std::vector<std::string> order;
  Finding& get(const std::string& id) {
    auto it = by_id.find(id);
    if (it != by_id.end()) return it->second;
    order.push_back(id);
    return by_id[id] = make_finding(id);
  }
  void add(const std::string& id, const std::string& evidence, const std::vector<int>& gpus) {
    Finding& f = get(id);
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
      c.add("p2p-data-corruption", name + ": " + cell.detail, gpus_of(cell));
    } else if (cell.status == CellStatus::hang) {
      c.add("transfer-hang", name + ": " + cell.detail, gpus_of(cell));
    }
    if (j.verdict == Verdict::below_expectation || j.verdict == Verdict::cross_socket) {
      std::string cause = cause_on_path(t, cell);
      c.add("below-expectation",
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
              "GPU" + std::to_string(o.gpu) + " " + g.address.str() + ": best " + describe(o.max_link) + " under load, maximum " +
                  describe(n.link->max),
              {o.gpu});
      }
      if (o.replay_delta && *o.replay_delta > 0)
        c.add("pcie-replays-during-test", "GPU" + std::to_string(o.gpu) + ": " + std::to_string(*o.replay_delta) + " replays during " + name,
              {o.gpu});
      const uint64_t slowdown = o.clock_event_reasons & ~uint64_t{0x1 | 0x2 | 0x10 | 0x100};  // not idle/app/sync/display
      if (slowdown) {
        std::string reasons;
        for (const auto& r : topology::Nvml::describe_clock_event_reasons(slowdown)) reasons += (reasons.empty() ? "" : ", ") + r;
        c.add("throttling-during-test", "GPU" + std::to_string(o.gpu) + ": " + reasons + " during " + name, {o.gpu});
      }
    }
    if (cell.host_numa_node >= 0) {
      for (int g : gpus_of(cell)) {
        if (t.gpus[g].numa_node >= 0 && t.gpus[g].numa_node != cell.host_numa_node && cell.plan.src.is_host() != cell.plan.dst.is_host())
          c.add("remote-numa-host-memory",
                name + ": host memory on node " + std::to_string(cell.host_numa_node) + ", GPU" + std::to_string(g) + " on node " +
                    std::to_string(t.gpus[g].numa_node),
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

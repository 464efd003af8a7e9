#include "switch_rules.h"

#include "format.h"

#include <cstdio>
#include <map>
#include <string>

#include "rigcheck/diagnosis/catalogue.h"
#include "rigcheck/topology/pcie_link.h"

namespace rigcheck::diagnosis {

namespace {

using detail::gbps;

using topology::PciKind;
using topology::PciNode;
using topology::Topology;

// The GPUs whose path to the host goes through `node`.
std::vector<int> gpus_below(const Topology& t, int node) {
  std::vector<int> out;
  for (const auto& g : t.gpus)
    for (int x = g.node; x >= 0; x = t.pci[x].parent)
      if (x == node) {
        out.push_back(g.index);
        break;
      }
  return out;
}

std::string gpu_list(const std::vector<int>& gpus) {
  std::string s;
  for (int g : gpus) s += (s.empty() ? "GPU" : ", GPU") + std::to_string(g);
  return s;
}

}  // namespace

void switch_uplink_rules(const Topology& t, std::vector<Finding>& out) {
  for (const PciNode& n : t.pci) {
    if (n.kind != PciKind::switch_upstream || !n.link || !n.address || n.chipset) continue;  // chipset: set on the chipset's bridges and below
    const auto gpus = gpus_below(t, n.id);
    if (gpus.empty()) continue;
    const auto& l = *n.link;
    const std::string where = n.address->str() + (n.name.empty() ? "" : " (" + n.name + ")");
    const Params base = {{"switch", where}, {"gpus", gpu_list(gpus)}};
    // The slot above the switch has fewer lanes than the switch's upstream port: a BIOS lane
    // split (x4x4x4x4 bifurcation) or a slot wired narrower.
    if (l.port_max.known() && l.device_max.known() && l.port_max.width < l.device_max.width) {
      Params p = base;
      p.insert({{"port_width", std::to_string(l.port_max.width)}, {"switch_width", std::to_string(l.device_max.width)}});
      out.push_back(make_finding_variant("switch-uplink-degraded", "slot", p,
                                         {"switch upstream port capability " + describe(l.device_max) +
                                          ", the port above it " + describe(l.port_max)},
                                         gpus));
    }
    // Trained below what both ends can do: narrower at any time, or a lower generation when the
    // state was captured under load (a rig file); at rest a lower generation is power saving.
    if (l.current.known() && l.max.known() &&
        (l.current.width < l.max.width || (l.current.gen < l.max.gen && !topology::links_read_at_rest(t)))) {
      Params p = base;
      p.insert({{"current", describe(l.current)}, {"max", describe(l.max)}});
      out.push_back(make_finding("switch-uplink-degraded", p,
                                 {"uplink " + describe(l.current) + " (" + gbps(topology::pcie_gbps(l.current)) +
                                  "), both ends can do " + describe(l.max) + " (" + gbps(topology::pcie_gbps(l.max)) + ")"},
                                 gpus));
    }
    // Several GPUs behind one uplink share it for host traffic (and for P2P to GPUs beyond the
    // switch): a lower figure when they copy at once is the design, not a fault.
    if (gpus.size() >= 2) {
      const topology::LinkState run = l.current.known() && !topology::links_read_at_rest(t) ? l.current : l.max;
      if (!run.known()) continue;
      const double share = topology::pcie_gbps(run) / static_cast<double>(gpus.size());
      Params p = base;
      p.insert({{"count", std::to_string(gpus.size())}, {"uplink", describe(run)}, {"uplink_gbps", gbps(topology::pcie_gbps(run))},
                {"share_gbps", gbps(share)}});
      out.push_back(make_finding("switch-uplink-shared", p,
                                 {where + ": uplink " + describe(run) + " shared by " + gpu_list(gpus)}, gpus));
    }
  }
}

void switch_uplink_load_rules(const Topology& t, const bench::BenchRun& run, std::vector<Finding>& out) {
  if (!topology::links_read_at_rest(t)) return;
  // The best state each switch's uplink reached over every cell, and one cell that saw it.
  std::vector<bench::UplinkObservation> best;
  std::map<int, std::string> seen_in;
  for (const auto& cell : run.cells) {
    bench::merge_uplinks(best, cell.uplinks);
    for (const auto& u : cell.uplinks) seen_in.emplace(u.pci_node, cell.plan.name());
  }
  for (const auto& u : best) {
    if (u.pci_node < 0 || u.pci_node >= static_cast<int>(t.pci.size())) continue;
    const PciNode& n = t.pci[u.pci_node];
    if (!n.link || !n.link->max.known() || !u.max_link.known()) continue;
    const auto& max = n.link->max;
    if (u.max_link.gen >= max.gen && u.max_link.width >= max.width) continue;
    const auto gpus = gpus_below(t, n.id);
    const std::string where = u.address + (n.name.empty() ? "" : " (" + n.name + ")");
    Params p = {{"switch", where}, {"gpus", gpu_list(gpus)}, {"current", describe(u.max_link)}, {"max", describe(max)}};
    out.push_back(make_finding_variant("switch-uplink-degraded", "under-load", p,
                                       {where + ": best " + describe(u.max_link) + " (" + gbps(topology::pcie_gbps(u.max_link)) +
                                        ") in " + std::to_string(u.samples) + " sample(s) of current_link_speed/width while " +
                                        seen_in[u.pci_node] + " and the other tests ran; both ends can do " + describe(max) + " (" +
                                        gbps(topology::pcie_gbps(max)) + ")"},
                                       gpus));
  }
}

}  // namespace rigcheck::diagnosis

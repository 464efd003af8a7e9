// Relative checks for a machine known only through pasted outputs: a GPU whose host bandwidth
// is far below its siblings', a host figure that fits a narrower link than the card's, the SM
// copy asymmetry that is not a fault, P2P granted but not used or slower than host-staged
// (p2pBandwidthLatencyTest's enabled vs disabled matrices and latencies), pairs without P2P,
// pair figures in two levels, and NVLink on only some pairs.

#include <cmath>
#include <map>
#include <set>

#include "import_util.h"
#include "rigcheck/ingest/blocks.h"
#include "rigcheck/ingest/gpu_names.h"
#include "rigcheck/diagnosis/import_rules.h"
#include "rigcheck/topology/pcie_link.h"

namespace rigcheck::diagnosis {

namespace {

using detail::FindingSet;
using detail::gbps;
using ingest::ImportedCell;

// Values of one test by (row, col) as the tool numbered the GPUs.
using Grid = std::map<std::pair<int, int>, const ImportedCell*>;

std::map<std::string, Grid> by_test(const ingest::PartialMachine& m) {
  std::map<std::string, Grid> out;
  for (const auto& c : m.cells)
    if (c.status == "ok" && c.value > 0) out[c.test + "|" + c.from.tool][{c.row, c.col}] = &c;
  return out;
}

const ImportedCell* find(const std::map<std::string, Grid>& t, const std::string& test, const std::string& tool, int row, int col) {
  auto it = t.find(test + "|" + tool);
  if (it == t.end()) return nullptr;
  auto c = it->second.find({row, col});
  return c == it->second.end() ? nullptr : c->second;
}

std::string classes_text(double value) {
  std::string s;
  const auto classes = link_classes_for(value);
  for (size_t i = 0; i < classes.size(); ++i) s += (i ? (i + 1 == classes.size() ? " or " : ", ") : "") + describe(classes[i]);
  return s.empty() ? "no PCIe link class" : s;
}

int pos(const ingest::MachineModel& mm, int index) { return ingest::position_of(mm, index); }

const Finding kOutlier{"host-bandwidth-outlier", Severity::warning, "One GPU's host bandwidth is far below its siblings'", {},
                       "GPUs of one machine copying to and from host memory should give about the same figure. One far "
                       "below the others sits on a narrower or slower link (a x8/x4 slot, a riser, a chipset slot) or on "
                       "another NUMA node than the memory used.",
                       "Check that GPU's link under load (`sudo lspci -vv -s BDF | grep -E 'LnkCap|LnkSta'`), its slot and "
                       "riser, and the NUMA binding; `rigcheck doctor` on the machine names the slot.",
                       "", {}};
const Finding kLinkClass{"host-link-class-inferred", Severity::warning, "A host figure fits a slower link than the card supports", {},
                         "Healthy pinned copy-engine copies reach about 80-90 % of the link's theoretical rate, so the "
                         "figure tells the link class it went through. A class below the card's own capability is a "
                         "slot, riser, BIOS or platform limit (a Gen3 CPU with Gen4 cards is one), or host memory on the "
                         "other socket.",
                         "Compare with the slot's specification; check LnkSta under load, the BIOS PCIe generation and "
                         "bifurcation settings, risers; bind to the GPU's NUMA node (numactl).",
                         "PCIe per-lane rates: 8b/10b to Gen2, 128b/130b Gen3-Gen5", {}};
const Finding kSmAsym{"sm-h2d-below-d2h", Severity::info, "SM-copy host-to-device is below device-to-host (known behaviour)", {},
                      "SM copy kernels read host memory with less parallelism than they write it, so SM H2D below SM D2H "
                      "is seen on healthy machines (H100: ~35 vs ~53 GB/s). The copy-engine figures are the ones that "
                      "tell the link's state.",
                      "Nothing to fix; compare host_to_device_memcpy_ce with device_to_host_memcpy_ce instead.",
                      "NVIDIA/nvbandwidth#24", {}};
const Finding kStaged{"p2p-slower-than-host-staged", Severity::critical, "Peer-to-peer is slower than going through host memory", {},
                      "With P2P enabled the copy is slower than the same copy with P2P disabled (host-staged): P2P traffic "
                      "is being detoured (ACS redirect, IOMMU translation) or the platform forwards it poorly. NCCL then "
                      "does better with P2P off.",
                      "Check ACS on the bridges between the GPUs and the IOMMU (`rigcheck doctor`); meanwhile "
                      "NCCL_P2P_DISABLE=1 is faster on this machine.",
                      "NVIDIA/nccl#814", {}};
const Finding kNotUsed{"p2p-granted-not-used", Severity::warning, "P2P is granted but the figures are host-staged", {},
                       "CUDA grants peer access, yet P2P=Enabled equals P2P=Disabled: the copies still go through host "
                       "memory (or the platform's P2P path is no faster than staging), so P2P is not really in use.",
                       "Check ACS and the IOMMU (`rigcheck doctor`); on patched GeForce drivers check BAR1 size and the "
                       "driver's P2P mode.",
                       "NVIDIA/cuda-samples#230", {}};
const Finding kLatency{"p2p-latency-host-staged", Severity::warning, "P2P latency is that of a host-staged copy", {},
                       "Direct P2P writes take about 0.4-2.5 µs; host-staged copies 10-20 µs. A granted pair at staged "
                       "latency is not using P2P.",
                       "As for P2P not in use: ACS, IOMMU, the driver's P2P mode.", "NVIDIA/cuda-samples#230", {}};
const Finding kNoP2p{"p2p-unsupported", Severity::warning, "Some GPU pairs have no peer-to-peer access", {},
                     "Without P2P, GPU-to-GPU copies and NCCL go through host memory (host-staged), at roughly half the "
                     "bandwidth and ten times the latency. NVIDIA's stock driver does not enable PCIe P2P on GeForce "
                     "cards; GNS/CNS/TNS in `nvidia-smi topo -p2p` say whether the GPU, the chipset or the topology is why.",
                     "For GeForce pairs expect host-staged figures (or an NVLink bridge where the card has one); for other "
                     "cards check the platform reason and ACS (`rigcheck doctor`).",
                     "NVIDIA/nvbandwidth#13", {}};
const Finding kGroups{"d2d-pair-groups", Severity::info, "GPU pairs fall into a faster and a slower group", {},
                      "Pairs under one host bridge or socket copy faster than pairs across them; two levels with no "
                      "topology given are usually that, not a fault. `nvidia-smi topo -m` names each pair's path.",
                      "Nothing to fix if the slower pairs cross sockets or host bridges; place communicating ranks on the "
                      "faster pairs.",
                      "NVIDIA/nvbandwidth#50", {}};
const Finding kCrossSocket{"cross-socket-pairs-slower", Severity::info, "Cross-socket pairs are slower (expected)", {},
                           "Pairs whose path crosses the inter-socket link (SYS) are limited by it; that is the topology, "
                           "not a fault.",
                           "Keep tightly coupled ranks on one socket.", "", {}};
const Finding kPartialMesh{"nvlink-partial-mesh", Severity::info, "Some GPU pairs have no NVLink (topology, not a fault)", {},
                           "In a hybrid cube-mesh (DGX-1 class) or with NVLink bridges on some pairs, the other pairs talk "
                           "over PCIe; their lower figures are the topology.",
                           "Nothing to fix; map communicating ranks onto NVLinked pairs.", "", {}};

const char* kHostTests[] = {"host_to_device_ce", "device_to_host_ce", "host_to_device_sm", "device_to_host_sm"};

void host_outliers(const ingest::PartialMachine& m, const ingest::MachineModel& mm, const std::map<std::string, Grid>& t, FindingSet& out) {
  for (const char* test : kHostTests)
    for (const auto& [key, grid] : t) {
      if (key.rfind(std::string(test) + "|", 0) != 0 || grid.size() < 2) continue;
      for (const auto& [rc, cell] : grid) {
        std::vector<double> others;
        for (const auto& [rc2, c2] : grid)
          if (rc2 != rc) others.push_back(c2->value);
        const double med = detail::median(others);
        if (cell->value < 0.75 * med)
          out.add(kOutlier,
                  "IMPORTED GPU" + std::to_string(cell->col) + " " + test + ": " + gbps(cell->value) + " vs " + gbps(med) +
                      " median of the other " + std::to_string(others.size()) + " (fits " + classes_text(cell->value) + "; " +
                      detail::at(cell->from) + ")",
                  {pos(mm, cell->col)});
      }
    }
  (void)m;
}

void link_class(const ingest::PartialMachine& m, const ingest::MachineModel& mm, const std::map<std::string, Grid>& t, FindingSet& out) {
  for (const auto& g : m.gpus) {
    const topology::GpuModel* model = ingest::model_for_name(g.name);
    if (!model) continue;
    const ImportedCell* best = nullptr;
    for (const auto& [key, grid] : t) {
      if (key.rfind("host_to_device_ce|", 0) != 0 && key.rfind("device_to_host_ce|", 0) != 0) continue;
      auto it = grid.find({-1, g.index});
      if (it != grid.end() && (!best || it->second->value > best->value)) best = it->second;
    }
    if (!best) continue;
    const double card = topology::pcie_gbps(model->pcie_gen, model->pcie_width);
    // Between two classes (no class fits) is an inefficient path, not a narrower link: the
    // expectation's below-expectation says that.
    if (card <= 0 || best->value >= 0.70 * card || link_classes_for(best->value).empty()) continue;
    out.add(kLinkClass,
            "IMPORTED GPU" + std::to_string(g.index) + " (" + g.name + "): best host copy " + gbps(best->value) + " fits " +
                classes_text(best->value) + "; the card can do Gen" + std::to_string(model->pcie_gen) + " x" +
                std::to_string(model->pcie_width) + " (" + gbps(card) + " theoretical, " + detail::at(best->from) + ")",
            {pos(mm, g.index)});
  }
}

void sm_asymmetry(const ingest::PartialMachine& m, const ingest::MachineModel& mm, const std::map<std::string, Grid>& t, FindingSet& out) {
  for (const auto& g : m.gpus) {
    for (const char* tool : {ingest::kNvbandwidth}) {
      const ImportedCell* h2d = find(t, "host_to_device_sm", tool, -1, g.index);
      const ImportedCell* d2h = find(t, "device_to_host_sm", tool, -1, g.index);
      if (!h2d || !d2h || h2d->value >= 0.8 * d2h->value) continue;
      const ImportedCell* ce_h2d = find(t, "host_to_device_ce", tool, -1, g.index);
      const ImportedCell* ce_d2h = find(t, "device_to_host_ce", tool, -1, g.index);
      // When the CE figures show the same asymmetry, it is the link or the memory, not the SM copy.
      if (ce_h2d && ce_d2h && ce_h2d->value < 0.9 * ce_d2h->value) continue;
      out.add(kSmAsym,
              "IMPORTED GPU" + std::to_string(g.index) + ": SM H2D " + gbps(h2d->value) + " vs SM D2H " + gbps(d2h->value) +
                  (ce_h2d && ce_d2h ? ", CE " + gbps(ce_h2d->value) + " / " + gbps(ce_d2h->value) : ", no CE figures to compare"),
              {pos(mm, g.index)});
    }
  }
}

void p2p_rules(const ingest::PartialMachine& m, const ingest::MachineModel& mm, const std::map<std::string, Grid>& t, FindingSet& out) {
  const std::string tool = ingest::kP2pTest;
  const std::string disabled = tool + ".unidirectional_p2p_disabled";
  auto dis_it = t.find(disabled + "|" + tool);
  if (dis_it != t.end()) {
    for (const auto& [rc, dis] : dis_it->second) {
      const ImportedCell* en = find(t, "device_to_device_write_ce", tool, rc.first, rc.second);
      if (!en) continue;
      const ingest::ImportedPair* p = ingest::find_pair(m, rc.first, rc.second);
      if (p && p->p2p_granted == false) continue;  // the sample falls back to staging: equal by design
      if (p && p->nvlink_links > 0) continue;
      const std::string pair = "GPU" + std::to_string(rc.first) + "->GPU" + std::to_string(rc.second);
      const std::vector<int> gpus = {pos(mm, rc.first), pos(mm, rc.second)};
      if (en->value < 0.9 * dis->value)
        out.add(kStaged, "IMPORTED " + pair + ": P2P " + gbps(en->value) + " vs " + gbps(dis->value) + " with P2P disabled (" + detail::at(en->from) + ")", gpus);
      else if (p && p->p2p_granted == true && std::abs(en->value / dis->value - 1) < 0.15)
        out.add(kNotUsed, "IMPORTED " + pair + ": P2P=Enabled " + gbps(en->value) + " ~ P2P=Disabled " + gbps(dis->value) + " although access is granted (" + detail::at(en->from) + ")", gpus);
    }
  }
  auto lat_it = t.find(tool + ".latency_p2p_enabled_gpu|" + tool);
  if (lat_it != t.end())
    for (const auto& [rc, lat] : lat_it->second) {
      const ingest::ImportedPair* p = ingest::find_pair(m, rc.first, rc.second);
      if (!p || p->p2p_granted != true || lat->value <= 5000) continue;
      char buf[96];
      std::snprintf(buf, sizeof buf, ": P2P=Enabled latency %.2f us although access is granted (", lat->value / 1000);
      out.add(kLatency, "IMPORTED GPU" + std::to_string(rc.first) + "->GPU" + std::to_string(rc.second) + buf + detail::at(lat->from) + ")",
              {pos(mm, rc.first), pos(mm, rc.second)});
    }
  for (const auto& p : m.pairs) {
    if (p.p2p_granted == false)
      out.add(kNoP2p, "GPU" + std::to_string(p.a) + "-GPU" + std::to_string(p.b) + ": " + p.p2p_status + " (" + detail::at(p.from) + ")",
              {pos(mm, p.a), pos(mm, p.b)});
    else if (!p.smi_p2p.empty() && p.smi_p2p != "OK")
      out.add(kNoP2p, "GPU" + std::to_string(p.a) + "-GPU" + std::to_string(p.b) + ": nvidia-smi topo -p2p says " + p.smi_p2p +
                          " although CUDA grants access",
              {pos(mm, p.a), pos(mm, p.b)});
  }
}

void pair_levels(const ingest::PartialMachine& m, const ingest::MachineModel& mm, const std::map<std::string, Grid>& t, FindingSet& out) {
  for (const char* test : {"device_to_device_read_ce", "device_to_device_write_ce", "device_to_device_read_sm", "device_to_device_write_sm"})
    for (const auto& [key, grid] : t) {
      if (key.rfind(std::string(test) + "|", 0) != 0 || grid.size() < 6) continue;
      bool any_path = false, any_nvlink = false;
      std::vector<double> sys, other;
      for (const auto& [rc, c] : grid) {
        const ingest::ImportedPair* p = ingest::find_pair(m, rc.first, rc.second);
        if (p && p->nvlink_links > 0) any_nvlink = true;
        if (p && p->path) {
          any_path = true;
          (*p->path == topology::PathClass::sys ? sys : other).push_back(c->value);
        }
      }
      if (any_nvlink) continue;
      if (any_path) {
        if (!sys.empty() && !other.empty() && detail::median(sys) < 0.9 * detail::median(other))
          out.add(kCrossSocket, "IMPORTED " + std::string(test) + ": SYS pairs " + gbps(detail::median(sys)) + " (median) vs " +
                                    gbps(detail::median(other)) + " for the others");
        continue;
      }
      std::vector<double> v;
      for (const auto& [rc, c] : grid) v.push_back(c->value);
      std::sort(v.begin(), v.end());
      size_t cut = 0;
      double gap = 0;
      for (size_t i = 1; i < v.size(); ++i)
        if (v[i] / v[i - 1] > gap) gap = v[i] / v[i - 1], cut = i;
      if (gap < 1.10 || v.back() / v.front() < 1.15) continue;
      const std::vector<double> low(v.begin(), v.begin() + cut), high(v.begin() + cut, v.end());
      out.add(kGroups, "IMPORTED " + std::string(test) + ": " + std::to_string(high.size()) + " directed pairs at ~" +
                           gbps(detail::median(high)) + ", " + std::to_string(low.size()) + " at ~" + gbps(detail::median(low)) +
                           " (path not given)");
    }
  (void)mm;
}

void nvlink_mesh(const ingest::PartialMachine& m, FindingSet& out) {
  int with = 0, without = 0;
  std::set<int> counts;
  for (const auto& p : m.pairs) {
    if (!p.path && p.nvlink_links == 0) continue;  // nothing known from topo -m
    if (p.nvlink_links > 0) ++with, counts.insert(p.nvlink_links);
    else ++without;
  }
  if (with > 0 && without > 0)
    out.add(kPartialMesh, std::to_string(with) + " pair(s) with NVLink, " + std::to_string(without) + " without (nvidia-smi topo -m)");
}

}  // namespace

std::vector<Finding> import_relative_findings(const ingest::PartialMachine& m, const ingest::MachineModel& mm, const ImportedRun&) {
  const auto t = by_test(m);
  FindingSet out;
  host_outliers(m, mm, t, out);
  link_class(m, mm, t, out);
  sm_asymmetry(m, mm, t, out);
  p2p_rules(m, mm, t, out);
  pair_levels(m, mm, t, out);
  nvlink_mesh(m, out);
  return out.list;
}

}  // namespace rigcheck::diagnosis

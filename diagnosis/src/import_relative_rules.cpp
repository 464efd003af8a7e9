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
#include "rigcheck/diagnosis/catalogue.h"
#include "rigcheck/diagnosis/import_rules.h"
#include "rigcheck/topology/pcie_link.h"

namespace rigcheck::diagnosis {

namespace {

using detail::FindingSet;
using detail::import_wording;
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
          out.add(make_finding("host-bandwidth-outlier"),
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
    // Where an input states the GPU's link (lspci, a rigcheck report), the expectation already
    // uses it and below-expectation speaks; inferring a link class is for pastes that say nothing.
    const int at = pos(mm, g.index);
    if (at >= 0 && at < static_cast<int>(mm.stated.gpus.size())) {
      const auto& link = mm.stated.pci[mm.stated.gpus[at].node].link;
      if (link && link->max.known()) continue;
    }
    const double card = topology::pcie_gbps(model->pcie_gen, model->pcie_width);
    // Between two classes (no class fits) is an inefficient path, not a narrower link: the
    // expectation's below-expectation says that.
    if (card <= 0 || best->value >= 0.70 * card || link_classes_for(best->value).empty()) continue;
    out.add(make_finding("host-link-class-inferred"),
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
      out.add(make_finding("sm-h2d-below-d2h"),
              "IMPORTED GPU" + std::to_string(g.index) + ": SM H2D " + gbps(h2d->value) + " vs SM D2H " + gbps(d2h->value) +
                  (ce_h2d && ce_d2h ? ", CE " + gbps(ce_h2d->value) + " / " + gbps(ce_d2h->value) +
                                             "; the SM host-to-device figure is the SM read of host memory, not judged as a link shortfall"
                                       : ", no CE figures to compare"),
              {pos(mm, g.index)});
    }
  }
}

// p2pBandwidthLatencyTest's P2P=Enabled GPU latency at or below this is a direct peer access
// (~1-2 us); a host-staged copy takes 10-20 us.
constexpr double kDirectLatencyNs = 5000;
// Older machines take longer for a direct access (Pascal behind PLX switches on x1 risers:
// 6.6-7.3 us against 12-15.7 us staged), so a latency well below the same pair's P2P=Disabled
// one is direct too.
constexpr double kDirectShareOfStaged = 0.6;

// Whether the pair's P2P=Enabled latency shows direct peer access.
bool direct_latency(const std::map<std::string, Grid>& t, const ImportedCell& enabled, int a, int b) {
  if (enabled.value <= kDirectLatencyNs) return true;
  const ImportedCell* staged = find(t, std::string(ingest::kP2pTest) + ".latency_p2p_disabled_gpu", ingest::kP2pTest, a, b);
  return staged && enabled.value < kDirectShareOfStaged * staged->value;
}

void p2p_rules(const ingest::PartialMachine& m, const ingest::MachineModel& mm, const std::map<std::string, Grid>& t, FindingSet& out) {
  const std::string tool = ingest::kP2pTest;
  const std::string latency = tool + ".latency_p2p_enabled_gpu";
  const std::string disabled = ingest::kP2pStagedTest;
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
        out.add(import_wording("p2p-slower-than-host-staged"), "IMPORTED " + pair + ": P2P " + gbps(en->value) + " vs " + gbps(dis->value) + " with P2P disabled (" + detail::at(en->from) + ")", gpus);
      else if (p && p->p2p_granted == true && std::abs(en->value / dis->value - 1) < 0.15) {
        // A direct latency proves the copies are peer-to-peer: equal bandwidth then means the
        // path (a socket link, a shared uplink) holds both, not that P2P is unused.
        const ImportedCell* lat = find(t, latency, tool, rc.first, rc.second);
        if (lat && direct_latency(t, *lat, rc.first, rc.second)) continue;
        out.add(make_finding("p2p-granted-not-used"), "IMPORTED " + pair + ": P2P=Enabled " + gbps(en->value) + " ~ P2P=Disabled " + gbps(dis->value) + " although access is granted (" + detail::at(en->from) + ")", gpus);
      }
    }
  }
  auto lat_it = t.find(latency + "|" + tool);
  if (lat_it != t.end())
    for (const auto& [rc, lat] : lat_it->second) {
      const ingest::ImportedPair* p = ingest::find_pair(m, rc.first, rc.second);
      if (!p || p->p2p_granted != true || direct_latency(t, *lat, rc.first, rc.second)) continue;
      char buf[96];
      std::snprintf(buf, sizeof buf, ": P2P=Enabled latency %.2f us although access is granted (", lat->value / 1000);
      out.add(make_finding("p2p-latency-host-staged"), "IMPORTED GPU" + std::to_string(rc.first) + "->GPU" + std::to_string(rc.second) + buf + detail::at(lat->from) + ")",
              {pos(mm, rc.first), pos(mm, rc.second)});
    }
  for (const auto& p : m.pairs) {
    if (p.p2p_granted == false)
      out.add(import_wording("p2p-unsupported"), "GPU" + std::to_string(p.a) + "-GPU" + std::to_string(p.b) + ": " + p.p2p_status + " (" + detail::at(p.from) + ")",
              {pos(mm, p.a), pos(mm, p.b)});
    else if (!p.smi_p2p.empty() && p.smi_p2p != "OK")
      out.add(import_wording("p2p-unsupported"), "GPU" + std::to_string(p.a) + "-GPU" + std::to_string(p.b) + ": nvidia-smi topo -p2p says " + p.smi_p2p +
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
          out.add(make_finding("cross-socket-pairs-slower"), "IMPORTED " + std::string(test) + ": SYS pairs " + gbps(detail::median(sys)) + " (median) vs " +
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
      out.add(make_finding("d2d-pair-groups"), "IMPORTED " + std::string(test) + ": " + std::to_string(high.size()) + " directed pairs at ~" +
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
    out.add(make_finding("nvlink-partial-mesh"), std::to_string(with) + " pair(s) with NVLink, " + std::to_string(without) + " without (nvidia-smi topo -m)");
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

// build_view: everything the printers show, read from the report document once.

#include <algorithm>
#include <cstdio>
#include <map>

#include "cells.h"
#include "cluster_view.h"
#include "format.h"
#include "network_view.h"
#include "rigcheck/bench/catalogue.h"
#include "rigcheck/report/view.h"
#include "rigcheck/topology/versions.h"

namespace rigcheck::report {

using nlohmann::json;

namespace {

using detail::cell_value;
using detail::format_value;
using detail::pair_of;
using detail::gpu_ranges;
using detail::link_text;

std::string version(int v) { return v ? topology::cuda_version_text(v) : "-"; }
std::string nccl_version(int v) { return v ? topology::nccl_version_text(v) : "-"; }
std::string or_dash(const std::string& s) { return s.empty() ? "-" : s; }


// How a cell compares with its expectation: "62% !" for bandwidth; for latency, where lower is
// better, how many times the expected figure it took ("2.0x !"). '!' marks a shortfall.
std::string cell_percent(const json& c) {
  if (c.at("ratio_to_expected").is_null()) return "";
  const double ratio = c.at("ratio_to_expected").get<double>();
  char buf[24];
  if (c.at("unit") == "ns")
    std::snprintf(buf, sizeof buf, "%.1fx", ratio > 0 ? 1 / ratio : 0.0);
  else
    std::snprintf(buf, sizeof buf, "%.0f%%", ratio * 100);
  const std::string v = c.at("verdict");
  return buf + std::string(v == "below_expectation" || v == "cross_socket" ? " !" : "");
}

std::string gpu_link(const json& topo, const json& g) {
  const json& node = topo.at("pci").at(g.at("node").get<int>());
  if (node.at("link").is_null()) return "?";
  const json& l = node.at("link");
  auto ls = [](const json& x) {
    return x.at("gen").get<int>() ? "Gen" + std::to_string(x.at("gen").get<int>()) + " x" + std::to_string(x.at("width").get<int>()) : "?";
  };
  return ls(l.at("max")) + " (now " + ls(l.at("current")) + ")";
}

std::string path_class(const json& topo, int a, int b) {
  if (a == b) return "X";
  for (const auto& p : topo.at("pairs"))
    if ((p.at("a") == a && p.at("b") == b) || (p.at("a") == b && p.at("b") == a))
      return p.at("nvlink_links").get<int>() > 0 ? "NV" + std::to_string(p.at("nvlink_links").get<int>()) : p.at("pcie").get<std::string>();
  return "?";
}

std::string title_of(const json& r) {
  std::string machine = r.at("topology").value("machine", "");
  if (machine.empty()) machine = std::to_string(r.at("topology").at("gpus").size()) + "-GPU machine";
  if (!r.at("rig").is_null()) machine += " (rig " + r.at("rig").get<std::string>() + ")";
  return machine;
}

Table versions_of(const json& r) {
  const json& v = r.at("versions");
  return {{"NVIDIA driver", "CUDA driver", "CUDA runtime", "NCCL", "kernel", "rigcheck"},
          {{or_dash(v.at("nvidia_driver").get<std::string>()), version(v.at("cuda_driver").get<int>()),
            version(v.at("cuda_runtime").get<int>()), nccl_version(v.at("nccl").get<int>()),
            or_dash(v.at("kernel").get<std::string>()), r.at("tool").at("version").get<std::string>()}}};
}

FindingView finding_of(const json& f) {
  FindingView v{f.at("severity"), f.at("id"), f.at("title"), {}, f.at("explanation"), f.at("fix"), f.at("reference"), {}};
  for (const auto& e : f.at("evidence")) v.evidence.push_back(e.get<std::string>());
  for (const auto& d : f.value("details", json::array())) v.details.push_back(d.get<std::string>());
  return v;
}

// Slots that hold a card back by design (a Gen3 port for a Gen4 card): facts about the platform,
// grouped by what the slot and the card can do.
std::vector<std::string> platform_of(const json& topo) {
  std::map<std::pair<std::string, std::string>, std::vector<int>> by_limit;
  for (const auto& g : topo.at("gpus")) {
    const json& node = topo.at("pci").at(g.at("node").get<int>());
    if (node.at("link").is_null()) continue;
    const json& l = node.at("link");
    if (!l.contains("port_max") || !l.contains("device_max") || l.at("port_max").is_null() || l.at("device_max").is_null()) continue;
    const json& port = l.at("port_max");
    const json& card = l.at("device_max");
    if (!port.at("gen").get<int>() || !card.at("gen").get<int>()) continue;
    if (port.at("gen").get<int>() < card.at("gen").get<int>() || port.at("width").get<int>() < card.at("width").get<int>())
      by_limit[{link_text(port), link_text(card)}].push_back(g.at("index").get<int>());
  }
  std::vector<std::string> out;
  for (const auto& [limit, gpus] : by_limit)
    out.push_back(gpu_ranges(gpus) + ": the slot allows " + limit.first + ", the card could do " + limit.second +
                  " (expectations assume the slot's limit)");
  return out;
}

ImportView import_of(const json& r) {
  ImportView v;
  for (const auto& f : r.value("inputs", json::array())) {
    std::string line = f.at("name").get<std::string>() + " (sha256 " + f.at("sha256").get<std::string>().substr(0, 16) + "…, " +
                       std::to_string(f.at("bytes").get<uint64_t>()) + " bytes):";
    for (const auto& b : f.at("blocks")) {
      const std::string ver = b.at("version");
      line += " " + b.at("tool").get<std::string>() + (ver.empty() ? "" : " [" + ver + "]") + " lines " +
              std::to_string(b.at("first_line").get<int>()) + "-" + std::to_string(b.at("last_line").get<int>()) + ";";
    }
    v.inputs.push_back(line);
  }
  const auto& imp = r.value("imported", json::object());
  auto list = [&](const char* key, std::vector<std::string>& out) {
    if (imp.contains(key))
      for (const auto& s : imp.at(key)) out.push_back(s.get<std::string>());
  };
  list("cannot_show", v.cannot_show);
  list("assumptions", v.assumptions);
  return v;
}

// Tests in report order, each with its cells.
std::vector<std::pair<std::string, std::vector<const json*>>> by_test(const json& report) {
  std::vector<std::pair<std::string, std::vector<const json*>>> out;
  std::map<std::string, size_t> at;
  for (const auto& c : report.at("measurements")) {
    const std::string test = c.at("test");
    if (!at.count(test)) {
      at[test] = out.size();
      out.push_back({test, {}});
    }
    out[at[test]].second.push_back(&c);
  }
  return out;
}

// Wide rigs keep their matrices readable: one decimal instead of two from 16 GPUs on.
constexpr int kWideRig = 16;

// A matrix cell: the median (abbreviated on wide rigs), '*' host-staged, '!' below expectation.
std::string matrix_cell(const json& c, bool wide) {
  const std::string status = c.at("status");
  if (status != "ok") return status == "unsupported" ? "n/a" : status;
  const double m = c.at("median");
  char buf[32];
  std::snprintf(buf, sizeof buf, c.at("unit") == "ns" ? "%.0f" : wide ? "%.1f" : "%.2f", m);
  std::string s = buf;
  if (c.at("path") == "host-staged") s += "*";
  const std::string v = c.at("verdict");
  if (v == "below_expectation" || v == "cross_socket") s += "!";
  return s;
}


// The expected figure per path class, as a legend under the matrix ("PIX 13.33, SYS 9.80-10.10").
std::string expected_legend(const json& topo, const std::vector<const json*>& cells, const std::string& unit) {
  std::vector<std::string> order;
  std::map<std::string, std::pair<double, double>> range;
  for (const json* c : cells) {
    int a, b;
    if (!pair_of(*c, a, b) || c->at("expected").is_null()) continue;
    const std::string cls = path_class(topo, a, b);
    const double e = c->at("expected");
    if (!range.count(cls)) order.push_back(cls), range[cls] = {e, e};
    range[cls] = {std::min(range[cls].first, e), std::max(range[cls].second, e)};
  }
  if (order.empty()) return "";
  std::string s = "expected:";
  for (const auto& cls : order) {
    const auto [lo, hi] = range[cls];
    s += (s.size() > 9 ? ", " : " ") + cls + " " + format_value(lo, unit);
    if (format_value(lo, unit) != format_value(hi, unit)) s += "-" + format_value(hi, unit);
  }
  return s + " " + unit;
}

// A cell's colour band: the verdict decides whether it is short (as the '!' does), the ratio how far.
Shade shade_of(const json& c) {
  const std::string status = c.at("status");
  if (status == "unsupported") return Shade::unsupported;
  if (status != "ok") return Shade::failed;
  if (c.at("ratio_to_expected").is_null()) return Shade::no_expectation;
  const std::string v = c.at("verdict");
  if (v != "below_expectation" && v != "cross_socket") return Shade::ok;
  return c.at("ratio_to_expected").get<double>() < kFarRatio ? Shade::far_short : Shade::short_of;
}

void fill_matrix(const json& topo, const std::vector<const json*>& cells, TestView& t) {
  const int n = static_cast<int>(topo.at("gpus").size());
  const bool wide = n >= kWideRig;
  t.matrix.title = t.name;
  t.matrix.cells.assign(n, std::vector<std::string>(n, ""));
  t.shades.assign(n, std::vector<Shade>(n, Shade::missing));
  t.ratios.assign(n, std::vector<double>(n, 0.0));
  for (int i = 0; i < n; ++i) {
    t.matrix.labels.push_back("GPU" + std::to_string(i));
    t.matrix.cells[i][i] = "-";
    t.shades[i][i] = Shade::self;
  }
  for (const json* c : cells) {
    int a, b;
    if (!pair_of(*c, a, b) || a >= n || b >= n || !t.matrix.cells[a][b].empty()) continue;
    t.matrix.cells[a][b] = matrix_cell(*c, wide);
    t.shades[a][b] = shade_of(*c);
    if (!c->at("ratio_to_expected").is_null()) t.ratios[a][b] = c->at("ratio_to_expected").get<double>();
  }
  t.picture_caption = t.description.empty() ? "row GPU -> column GPU" : t.description;
  t.expected_legend = expected_legend(topo, cells, t.unit);
}

// The cell a summary points to: the furthest below its expectation; among cells without one, the
// lowest bandwidth or the highest latency. A cell with an expectation outranks one without.
bool worse(const json& a, const json& b) {
  const bool ea = !a.at("ratio_to_expected").is_null(), eb = !b.at("ratio_to_expected").is_null();
  if (ea != eb) return ea;
  if (ea) return a.at("ratio_to_expected").get<double>() < b.at("ratio_to_expected").get<double>();
  const double ma = a.at("median"), mb = b.at("median");
  return a.at("unit") == "ns" ? ma > mb : ma < mb;
}

TestView test_of(const json& topo, const std::string& name, const std::vector<const json*>& cells) {
  TestView t;
  t.name = name;
  t.unit = cells.front()->at("unit");
  const bench::TestSpec* spec = bench::find_test(name);
  if (spec) t.description = spec->description;
  t.pairwise = spec && spec->shape == bench::TestShape::per_pair && topo.at("gpus").size() > 1;
  if (t.pairwise) fill_matrix(topo, cells, t);
  t.cells.header = {"cell", "median", t.unit == "ns" ? "vs expected" : "% of expected", "verdict", "samples"};
  const json* worst = nullptr;
  for (const json* c : cells) {
    t.cells.rows.push_back({c->at("name"), cell_value(*c), cell_percent(*c), c->at("verdict"), std::to_string(c->at("samples").size())});
    if (c->at("status") != "ok") {
      t.failed += c->at("status") != "unsupported";
      continue;
    }
    ++t.ok_cells;
    const std::string v = c->at("verdict");
    t.below_expectation += v == "below_expectation" || v == "cross_socket";
    if (!worst || worse(*c, *worst)) worst = c;
  }
  if (worst) {
    t.has_worst = true;
    t.worst_value = cell_value(*worst);
    t.worst_cell = worst->at("name");
    t.worst_percent = cell_percent(*worst);
  }
  return t;
}

CollectiveView collective_of(const json& c) {
  CollectiveView v;
  v.process_model = c.at("process_model");
  v.ranks = c.at("ranks");
  v.status = c.at("status");
  v.detail = c.at("detail");
  v.op = c.at("results").empty() ? std::string("allreduce") : c.at("results").at(0).value("op", std::string("allreduce"));
  for (const auto& [k, n] : c.at("transports").at("counts").items())
    v.transports += (v.transports.empty() ? "" : ", ") + k + " x" + std::to_string(n.get<int>());
  v.verdict = c.at("verdicts").contains(v.op) ? c.at("verdicts").at(v.op).get<std::string>() : v.status;
  v.no_results = c.at("results").empty();
  v.rows.header = {"size", "busbw GB/s", "% of expected", "check"};
  const json* largest = nullptr;  // the largest out-of-place size
  for (const auto& x : c.at("results")) {
    if (x.at("in_place").get<bool>()) continue;
    if (!largest || x.at("bytes").get<uint64_t>() > largest->at("bytes").get<uint64_t>()) largest = &x;
    char busbw[32], pct[32] = "";
    std::snprintf(busbw, sizeof busbw, "%.2f", x.at("busbw_gbps").get<double>());
    if (x.contains("ratio_to_expected") && !x.at("ratio_to_expected").is_null())
      std::snprintf(pct, sizeof pct, "%.0f%%", x.at("ratio_to_expected").get<double>() * 100);
    v.rows.rows.push_back({std::to_string(x.at("bytes").get<uint64_t>()), busbw, pct, x.at("check")});
  }
  if (largest) {
    v.has_largest = true;
    v.largest_busbw_gbps = largest->at("busbw_gbps");
    v.largest_bytes = largest->at("bytes");
  }
  return v;
}

std::vector<PciNodeView> pci_tree_of(const json& topo) {
  std::map<int, int> gpu_at;  // PCI node id -> GPU index
  for (const auto& g : topo.at("gpus")) gpu_at[g.at("node").get<int>()] = g.at("index").get<int>();
  std::vector<PciNodeView> out;
  for (const auto& p : topo.at("pci")) {
    PciNodeView n;
    n.id = p.at("id");
    n.parent = p.at("parent");
    n.kind = p.at("kind");
    if (!p.at("address").is_null()) n.address = p.at("address");
    n.name = p.at("name");
    n.chipset = p.at("chipset");
    n.package = p.at("package");
    if (!p.at("link").is_null()) {
      const json& cur = p.at("link").at("current");
      const json& max = p.at("link").at("max");
      if (cur.at("gen").get<int>() > 0) n.link = link_text(cur);
      n.degraded = cur.at("gen").get<int>() > 0 && (cur.at("gen").get<int>() < max.at("gen").get<int>() ||
                                                   cur.at("width").get<int>() < max.at("width").get<int>());
    }
    if (gpu_at.count(n.id)) {  // a GPU is named by its model, as in the GPU table
      n.gpu = gpu_at[n.id];
      for (const auto& g : topo.at("gpus"))
        if (g.at("index") == n.gpu) n.name = g.at("name");
    }
    out.push_back(n);
  }
  return out;
}

std::vector<NvLinkView> nvlinks_of(const json& topo) {
  std::vector<NvLinkView> out;
  for (const auto& p : topo.at("pairs")) {
    if (p.at("nvlink_links").get<int>() <= 0) continue;
    NvLinkView l{std::min(p.at("a").get<int>(), p.at("b").get<int>()), std::max(p.at("a").get<int>(), p.at("b").get<int>()),
                 p.at("nvlink_links").get<int>(), 0, p.at("via_nvswitch").get<bool>()};
    if (p.at("bottleneck").at("kind") == "nvlink") l.gbps = p.at("bottleneck").at("gbps");
    out.push_back(l);
  }
  return out;
}

}  // namespace

const char* shade_name(Shade s) {
  switch (s) {
    case Shade::self: return "self";
    case Shade::ok: return "ok";
    case Shade::short_of: return "short";
    case Shade::far_short: return "far";
    case Shade::no_expectation: return "none";
    case Shade::unsupported: return "na";
    case Shade::failed: return "failed";
    case Shade::missing: return "missing";
  }
  return "missing";
}

std::string figure_badge(const ReportView& v) {
  if (v.mode == "simulated") return "SIMULATED";
  if (v.mode == "imported") return "IMPORTED";
  return "";
}

std::string mode_label(const std::string& mode) {
  if (mode == "simulated") return " (SIMULATED)";
  if (mode == "imported") return " (IMPORTED)";
  return "";
}

ReportView build_view(const json& r) {
  ReportView v;
  v.mode = r.at("mode");
  v.label = v.mode == "imported" ? "IMPORTED " : "";
  v.title = title_of(r);
  v.partial = r.at("status") == "partial";
  if (v.mode == "imported") {
    v.has_import = true;
    v.import = import_of(r);
  }
  const json& verdict = r.at("verdict");
  v.verdict = verdict.at("worst");
  v.summary = verdict.at("summary");
  v.critical = verdict.at("critical");
  v.warning = verdict.at("warning");
  v.info = verdict.at("info");
  v.versions = versions_of(r);
  v.platform = platform_of(r.at("topology"));
  for (const auto& f : r.at("findings")) v.findings.push_back(finding_of(f));

  const json& topo = r.at("topology");
  for (const auto& g : topo.at("gpus"))
    v.gpus.push_back({"GPU" + std::to_string(g.at("index").get<int>()), g.at("address"), g.at("name"), gpu_link(topo, g),
                      g.at("host_path").at("gbps").get<double>(), g.at("numa_node").get<int>()});
  const int n = static_cast<int>(topo.at("gpus").size());
  if (n > 1) {
    v.has_path_matrix = true;
    v.path_matrix.title = "GPU path matrix (nvidia-smi topo -m classes)";
    for (int i = 0; i < n; ++i) {
      v.path_matrix.labels.push_back("GPU" + std::to_string(i));
      v.path_matrix.cells.emplace_back();
      for (int j = 0; j < n; ++j) v.path_matrix.cells.back().push_back(path_class(topo, i, j));
    }
  }

  v.pci_tree = pci_tree_of(topo);
  v.nvlinks = nvlinks_of(topo);
  v.network = detail::network_view_of(topo);

  v.measurement_note = r.at("measurement_note");
  if (r.contains("backend")) v.backend = r.at("backend");
  for (const auto& [test, cells] : by_test(r)) v.tests.push_back(test_of(topo, test, cells));
  if (r.contains("collectives"))
    for (const auto& c : r.at("collectives")) v.collectives.push_back(collective_of(c));
  for (const auto& t : r.at("tests"))
    if (t.at("status") != "ok") v.failed_tests.push_back({t.at("name"), t.at("status"), t.at("detail")});
  if (r.contains("nodes")) v.cluster = detail::cluster_view_of(r);
  v.tool_version = r.at("tool").at("version");
  v.created_utc = r.at("created_utc");
  return v;
}

}  // namespace rigcheck::report

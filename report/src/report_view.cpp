// Renders a report document as terminal text or as Markdown for GitHub/Reddit/Discourse posts
// (long tables inside collapsible <details> blocks).

#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "format.h"
#include "rigcheck/report/import_report.h"
#include "rigcheck/report/report.h"
#include "rigcheck/topology/versions.h"

namespace rigcheck::report {

using diagnosis::Verdict;
using diagnosis::worst;

using nlohmann::json;

namespace {

using detail::format_value;
using detail::markdown_text;

std::string version(int v) { return v ? topology::cuda_version_text(v) : "-"; }

std::string nccl_version(int v) { return v ? topology::nccl_version_text(v) : "-"; }

std::string cell_value(const json& c) {
  const std::string status = c.at("status");
  if (status != "ok") return status == "unsupported" ? "n/a" : status;
  std::string s = format_value(c.at("median").get<double>(), c.at("unit"));
  if (c.at("path") == "host-staged") s += "*";
  return s;
}

std::string cell_percent(const json& c) {
  if (c.at("ratio_to_expected").is_null()) return "";
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.0f%%", c.at("ratio_to_expected").get<double>() * 100);
  std::string v = c.at("verdict");
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

const char* path_class(const json& topo, int a, int b) {
  if (a == b) return "X";
  for (const auto& p : topo.at("pairs"))
    if ((p.at("a") == a && p.at("b") == b) || (p.at("a") == b && p.at("b") == a)) {
      static thread_local std::string s;
      s = p.at("nvlink_links").get<int>() > 0 ? "NV" + std::to_string(p.at("nvlink_links").get<int>()) : p.at("pcie").get<std::string>();
      return s.c_str();
    }
  return "?";
}

// Tests in report order, each with its cells.
std::vector<std::pair<std::string, std::vector<json>>> by_test(const json& report) {
  std::vector<std::pair<std::string, std::vector<json>>> out;
  std::map<std::string, size_t> at;
  for (const auto& c : report.at("measurements")) {
    const std::string test = c.at("test");
    if (!at.count(test)) {
      at[test] = out.size();
      out.push_back({test, {}});
    }
    out[at[test]].second.push_back(c);
  }
  return out;
}

// " (SIMULATED)" / " (IMPORTED)" after a report's name wherever its figures are shown.
std::string mode_label(const json& r) {
  if (r.at("mode") == "simulated") return " (SIMULATED)";
  if (r.at("mode") == "imported") return " (IMPORTED)";
  return "";
}

std::string title_of(const json& r) {
  std::string machine = r.at("topology").value("machine", "");
  if (machine.empty()) machine = std::to_string(r.at("topology").at("gpus").size()) + "-GPU machine";
  if (!r.at("rig").is_null()) machine += " (rig " + r.at("rig").get<std::string>() + ")";
  return machine;
}

}  // namespace

void render_report_text(const json& r, std::ostream& out) {
  const bool sim = r.at("mode") == "simulated";
  const bool imported = r.at("mode") == "imported";
  if (sim) out << "SIMULATED: the measurements below come from rigcheck's fabric model, not from the GPUs.\n";
  if (imported) render_import_preamble(r, out, false);
  out << "rigcheck report: " << title_of(r) << (r.at("status") == "partial" ? "  [PARTIAL]" : "") << "\n";
  out << "Verdict: " << r.at("verdict").at("worst").get<std::string>() << " - " << r.at("verdict").at("summary").get<std::string>()
      << "\n\n";
  for (const auto& f : r.at("findings")) {
    out << "[" << f.at("severity").get<std::string>() << "] " << f.at("id").get<std::string>() << ": "
        << f.at("title").get<std::string>() << "\n";
    for (const auto& e : f.at("evidence")) out << "    evidence: " << e.get<std::string>() << "\n";
    std::istringstream fix(f.at("fix").get<std::string>());
    for (std::string line; std::getline(fix, line);) out << "    fix: " << line << "\n";
  }
  if (!r.at("findings").empty()) out << "\n";
  const json& topo = r.at("topology");
  out << "GPUs:\n";
  for (const auto& g : topo.at("gpus")) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.2f", g.at("host_path").at("gbps").get<double>());
    const bool path_known = g.at("host_path").at("gbps").get<double>() > 0;
    out << "  GPU" << g.at("index").get<int>() << " " << g.at("address").get<std::string>() << " " << g.at("name").get<std::string>()
        << "  link " << gpu_link(topo, g) << "  host path " << (path_known ? buf + std::string(" GB/s") : "?") << "  NUMA "
        << g.at("numa_node").get<int>() << "\n";
  }
  if (!r.at("measurement_note").get<std::string>().empty()) out << "\n" << r.at("measurement_note").get<std::string>() << "\n";
  // One line per test; the full tables are in the Markdown report and `rigcheck report --format markdown`.
  if (!r.at("measurements").empty()) out << "\nMeasurements (median per cell; the .md report has every cell):\n";
  for (const auto& [test, cells] : by_test(r)) {
    const std::string unit = cells.front().at("unit");
    const json* lowest = nullptr;
    int short_of = 0, ok = 0, problems = 0;
    for (const auto& c : cells) {
      if (c.at("status") != "ok") {
        problems += c.at("status") != "unsupported";
        continue;
      }
      ++ok;
      const std::string v = c.at("verdict");
      short_of += v == "below_expectation" || v == "cross_socket";
      // For latency the worst cell is the highest, for bandwidth the lowest.
      if (!lowest || (unit == "ns" ? c.at("median").get<double>() > lowest->at("median").get<double>()
                                   : c.at("median").get<double>() < lowest->at("median").get<double>()))
        lowest = &c;
    }
    out << "  " << (imported ? "IMPORTED " : "") << test << ": " << ok << " cell(s)";
    const std::string pct = lowest ? cell_percent(*lowest) : "";
    if (lowest) out << ", worst " << cell_value(*lowest) << " " << unit << " (" << lowest->at("name").get<std::string>()
                    << (pct.empty() ? ", no expectation)" : ", " + pct + " of expected)");
    if (short_of) out << ", " << short_of << " below expectation";
    if (problems) out << ", " << problems << " failed";
    out << "\n";
  }
  if (r.contains("collectives"))
    for (const auto& c : r.at("collectives")) {
      out << "  " << (imported ? "IMPORTED " : "") << (c.at("results").empty() ? std::string("allreduce") : c.at("results").at(0).value("op", std::string("allreduce"))) << " ("
          << c.at("process_model").get<std::string>() << "): ";
      if (c.at("status") != "ok") {
        out << c.at("status").get<std::string>() << " - " << c.at("detail").get<std::string>() << "\n";
        continue;
      }
      const json* last = nullptr;  // the largest out-of-place size
      for (const auto& x : c.at("results"))
        if (!x.at("in_place").get<bool>() && (!last || x.at("bytes").get<uint64_t>() > last->at("bytes").get<uint64_t>())) last = &x;
      if (!last) continue;
      char buf[96];
      std::snprintf(buf, sizeof buf, "busbw %.2f GB/s at %llu bytes", last->at("busbw_gbps").get<double>(),
                    static_cast<unsigned long long>(last->at("bytes").get<uint64_t>()));
      std::string verdict = "?";
      for (const auto& [op, v] : c.at("verdicts").items()) verdict = v.get<std::string>();
      out << buf << ", " << verdict << "\n";
    }
  for (const auto& t : r.at("tests"))
    if (t.at("status") != "ok") out << "! test " << t.at("name").get<std::string>() << ": " << t.at("status").get<std::string>() << " - " << t.at("detail").get<std::string>() << "\n";
}

void render_report_markdown(const json& r, std::ostream& out) {
  const bool sim = r.at("mode") == "simulated";
  const bool imported = r.at("mode") == "imported";
  out << "# rigcheck report: " << markdown_text(title_of(r)) << "\n\n";
  if (sim) out << "> **SIMULATED**: the measurements come from rigcheck's fabric model of this machine, not from its GPUs.\n\n";
  if (imported) render_import_preamble(r, out, true);
  if (r.at("status") == "partial") out << "> **Partial report**: the run did not finish.\n\n";
  out << "**Verdict: " << r.at("verdict").at("worst").get<std::string>() << "** - " << r.at("verdict").at("summary").get<std::string>()
      << " (" << r.at("verdict").at("critical").get<int>() << " critical, " << r.at("verdict").at("warning").get<int>()
      << " warning, " << r.at("verdict").at("info").get<int>() << " info)\n\n";
  const json& v = r.at("versions");
  out << "| NVIDIA driver | CUDA driver | CUDA runtime | NCCL | kernel | rigcheck |\n|---|---|---|---|---|---|\n";
  out << "| " << (v.at("nvidia_driver").get<std::string>().empty() ? "-" : markdown_text(v.at("nvidia_driver").get<std::string>())) << " | "
      << version(v.at("cuda_driver").get<int>()) << " | " << version(v.at("cuda_runtime").get<int>()) << " | "
      << nccl_version(v.at("nccl").get<int>()) << " | " << (v.at("kernel").get<std::string>().empty() ? "-" : markdown_text(v.at("kernel").get<std::string>()))
      << " | " << r.at("tool").at("version").get<std::string>() << " |\n\n";

  out << "## Findings\n\n";
  if (r.at("findings").empty()) out << "None.\n\n";
  for (const auto& f : r.at("findings")) {
    out << "### [" << f.at("severity").get<std::string>() << "] " << f.at("id").get<std::string>() << ": "
        << markdown_text(f.at("title").get<std::string>()) << "\n\n";
    for (const auto& e : f.at("evidence")) out << "- " << markdown_text(e.get<std::string>()) << "\n";
    out << "\n**Why:** " << markdown_text(f.at("explanation").get<std::string>()) << "\n\n**Fix:**\n\n```\n" << f.at("fix").get<std::string>()
        << "\n```\n\n";
    if (!f.at("reference").get<std::string>().empty()) out << "Reference: " << f.at("reference").get<std::string>() << "\n\n";
  }

  const json& topo = r.at("topology");
  out << "## GPUs\n\n| GPU | PCI address | model | link max (now) | host path GB/s | NUMA |\n|---|---|---|---|---|---|\n";
  for (const auto& g : topo.at("gpus")) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", g.at("host_path").at("gbps").get<double>());
    out << "| GPU" << g.at("index").get<int>() << " | " << g.at("address").get<std::string>() << " | " << markdown_text(g.at("name").get<std::string>())
        << " | " << gpu_link(topo, g) << " | " << buf << " | " << g.at("numa_node").get<int>() << " |\n";
  }
  const int n = static_cast<int>(topo.at("gpus").size());
  if (n > 1) {
    out << "\n<details><summary>GPU path matrix (nvidia-smi topo -m classes)</summary>\n\n|   |";
    for (int j = 0; j < n; ++j) out << " GPU" << j << " |";
    out << "\n|---|";
    for (int j = 0; j < n; ++j) out << "---|";
    out << "\n";
    for (int i = 0; i < n; ++i) {
      out << "| GPU" << i << " |";
      for (int j = 0; j < n; ++j) out << " " << path_class(topo, i, j) << " |";
      out << "\n";
    }
    out << "\n</details>\n";
  }

  out << "\n## Measurements\n\n";
  if (!r.at("measurement_note").get<std::string>().empty()) out << markdown_text(r.at("measurement_note").get<std::string>()) << "\n\n";
  if (r.contains("backend")) out << "Backend: " << r.at("backend").get<std::string>() << ". GB/s = 10^9 bytes/s; `*` host-staged; `!` below 85 % of expected.\n\n";
  for (const auto& [test, cells] : by_test(r)) {
    out << "<details><summary>" << (imported ? "IMPORTED " : "") << test << " (" << cells.front().at("unit").get<std::string>() << ")</summary>\n\n";
    out << "| cell | median | % of expected | verdict | samples |\n|---|---|---|---|---|\n";
    for (const auto& c : cells)
      out << "| " << c.at("name").get<std::string>() << " | " << cell_value(c) << " | " << cell_percent(c) << " | "
          << c.at("verdict").get<std::string>() << " | " << c.at("samples").size() << " |\n";
    out << "\n</details>\n\n";
  }
  if (r.contains("collectives") && !r.at("collectives").empty()) {
    out << (imported ? "## Collectives (IMPORTED from nccl-tests)\n\n" : "## Collectives (NCCL all-reduce)\n\n")
        << "| process model | ranks | size | busbw GB/s | % of expected | check | transports | verdict |\n"
           "|---|---|---|---|---|---|---|---|\n";
    for (const auto& c : r.at("collectives")) {
      std::string transports;
      for (const auto& [k, v] : c.at("transports").at("counts").items()) transports += (transports.empty() ? "" : ", ") + k + " x" + std::to_string(v.get<int>());
      const std::string verdict = c.at("verdicts").contains("allreduce") ? c.at("verdicts").at("allreduce").get<std::string>() : c.at("status").get<std::string>();
      if (c.at("results").empty()) {
        out << "| " << c.at("process_model").get<std::string>() << " | " << c.at("ranks").get<int>() << " | - | - | - | - | - | "
            << c.at("status").get<std::string>() << ": " << markdown_text(c.at("detail").get<std::string>()) << " |\n";
        continue;
      }
      for (const auto& x : c.at("results")) {
        if (x.at("in_place").get<bool>()) continue;
        char busbw[32], pct[32] = "";
        std::snprintf(busbw, sizeof busbw, "%.2f", x.at("busbw_gbps").get<double>());
        if (x.contains("ratio_to_expected") && !x.at("ratio_to_expected").is_null())
          std::snprintf(pct, sizeof pct, "%.0f%%", x.at("ratio_to_expected").get<double>() * 100);
        out << "| " << c.at("process_model").get<std::string>() << " | " << c.at("ranks").get<int>() << " | " << x.at("bytes").get<uint64_t>()
            << " | " << busbw << " | " << pct << " | " << x.at("check").get<std::string>() << " | " << transports << " | " << verdict << " |\n";
      }
    }
    out << "\n";
  }
  for (const auto& t : r.at("tests"))
    if (t.at("status") != "ok") out << "- test `" << t.at("name").get<std::string>() << "`: " << t.at("status").get<std::string>() << " (" << markdown_text(t.at("detail").get<std::string>()) << ")\n";
  out << "\n---\nGenerated by rigcheck " << r.at("tool").at("version").get<std::string>() << " at " << r.at("created_utc").get<std::string>() << ".\n";
}

void render_compare(const std::vector<json>& reports, const std::vector<std::string>& names, bool markdown, std::ostream& out) {
  // Cells by name, in first-seen order.
  std::vector<std::string> order;
  std::map<std::string, std::vector<const json*>> cells;
  for (size_t i = 0; i < reports.size(); ++i)
    for (const auto& c : reports[i].at("measurements")) {
      const std::string name = c.at("name");
      if (!cells.count(name)) order.push_back(name), cells[name].assign(reports.size(), nullptr);
      cells[name][i] = &c;
    }
  auto value = [](const json* c) -> std::string { return c ? cell_value(*c) : "-"; };
  auto delta = [](const json* base, const json* c) -> std::string {
    if (!base || !c || base->at("status") != "ok" || c->at("status") != "ok") return "";
    double b = base->at("median"), v = c->at("median");
    if (b == 0) return "";
    char buf[24];
    std::snprintf(buf, sizeof buf, "%+.0f%%", (v / b - 1) * 100);
    return buf;
  };
  if (markdown) {
    out << "# rigcheck compare\n\n";
    for (size_t i = 0; i < reports.size(); ++i)
      out << "- **" << markdown_text(names[i]) << "**: " << markdown_text(title_of(reports[i])) << mode_label(reports[i])
          << ", verdict " << reports[i].at("verdict").at("worst").get<std::string>() << "\n";
    out << "\n| cell |";
    for (const auto& n : names) out << " " << markdown_text(n) << " |";
    out << " change | verdicts |\n|---|";
    for (size_t i = 0; i < names.size(); ++i) out << "---|";
    out << "---|---|\n";
  } else {
    out << "rigcheck compare";
    for (size_t i = 0; i < reports.size(); ++i) out << (i ? " vs " : ": ") << names[i] << mode_label(reports[i]);
    out << "\n";
  }
  for (const auto& name : order) {
    const auto& row = cells[name];
    std::string verdicts;
    std::set<std::string> distinct;
    for (const json* c : row) {
      std::string v = c ? c->at("verdict").get<std::string>() : "-";
      distinct.insert(v);
      verdicts += (verdicts.empty() ? "" : " / ") + v;
    }
    std::string changes;
    for (size_t i = 1; i < row.size(); ++i) {
      std::string d = delta(row[0], row[i]);
      if (!d.empty()) changes += (changes.empty() ? "" : ", ") + d;
    }
    const std::string verdict_text = distinct.size() > 1 ? verdicts + " (changed)" : verdicts;
    if (markdown) {
      out << "| " << name << " |";
      for (const json* c : row) out << " " << value(c) << " |";
      out << " " << changes << " | " << verdict_text << " |\n";
    } else {
      out << "  " << name << ":";
      for (const json* c : row) out << "  " << value(c);
      if (!changes.empty()) out << "  (" << changes << ")";
      if (distinct.size() > 1) out << "  verdict " << verdicts;
      out << "\n";
    }
  }
  // Findings that appear or disappear against the first report.
  auto ids = [](const json& r) {
    std::set<std::string> s;
    for (const auto& f : r.at("findings")) s.insert(f.at("id"));
    return s;
  };
  const auto base = ids(reports[0]);
  out << (markdown ? "\n## Findings\n\n" : "\nFindings:\n");
  for (size_t i = 1; i < reports.size(); ++i) {
    const auto other = ids(reports[i]);
    for (const auto& id : other)
      if (!base.count(id)) out << (markdown ? "- " : "  ") << "new in " << names[i] << ": " << id << "\n";
    for (const auto& id : base)
      if (!other.count(id)) out << (markdown ? "- " : "  ") << "gone in " << names[i] << ": " << id << "\n";
  }
}

}  // namespace rigcheck::report

// The HTML form of a report view: one self-contained page (inline CSS and SVG; no script, no
// font, no image loaded from anywhere), so that it opens the same offline, attached to an issue
// or saved years later. Every text from the machine or the user goes through html_text.

#include <cstdio>

#include "format.h"
#include "html_parts.h"
#include "rigcheck/report/view.h"

namespace rigcheck::report {

namespace {

using detail::html_text;

constexpr const char* kStyle = R"css(
body{font:14px/1.45 system-ui,sans-serif;margin:1.5em auto;max-width:1200px;padding:0 1em;color:#1d232b;background:#fff}
h1{font-size:1.5em;margin:.2em 0}h2{border-bottom:1px solid #d0d7de;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #d0d7de;padding:2px 7px;text-align:right}
th{background:#f3f5f7}td.t,th.t{text-align:left}.scroll{overflow-x:auto}
.banner{background:#fff4ce;border:1px solid #d4a72c;padding:.5em .8em;border-radius:4px;margin:.5em 0}
.badge{background:#6e4cbb;color:#fff;font-size:.75em;font-weight:700;padding:1px 6px;border-radius:3px;letter-spacing:.04em}
.verdict{font-size:1.2em;padding:.4em .8em;border-radius:4px;display:inline-block;margin:.3em 0}
.sev-critical{background:#ffebe9;border-left:5px solid #cf222e}.sev-warning{background:#fff8c5;border-left:5px solid #bf8700}
.sev-info,.sev-ok{background:#ddf4ff;border-left:5px solid #0969da}
.finding{padding:.2em .9em;margin:.8em 0;border-radius:4px}.finding h3{margin:.4em 0}
pre{background:#f6f8fa;padding:.5em;overflow-x:auto;border-radius:4px}
.hm td{min-width:3.6em;font-variant-numeric:tabular-nums}
.hm-ok{background:#b7e4c7}.hm-short{background:#ffd08a}.hm-far{background:#f08c8c}.hm-none{background:#e8ecf0}
.hm-na,.hm-missing{background:#fff;color:#888}.hm-failed{background:#8c1d1d;color:#fff}.hm-self{background:#f3f5f7;color:#888}
.legend{font-size:.9em}.sw{display:inline-block;width:1em;height:1em;border:1px solid #888;vertical-align:middle;margin-left:.6em}
svg.topology{max-width:100%;height:auto;font:11px system-ui,sans-serif}
svg .node rect{fill:#f3f5f7;stroke:#57606a}svg .gpu rect{fill:#b7e4c7;stroke:#1a7f37}svg .host_bridge rect{fill:#ddf4ff}
svg .chipset rect{stroke-dasharray:4 3}svg .degraded rect{stroke:#cf222e;stroke-width:2}svg .nvswitch rect{fill:#d8b9ff}
svg text{text-anchor:middle;fill:#1d232b}svg text.k{font-weight:700}svg text.l{fill:#57606a}
svg .edge{stroke:#57606a;stroke-width:1.5}svg .edge.degraded{stroke:#cf222e;stroke-width:2.5;stroke-dasharray:6 3}
svg .nvlink{fill:none;stroke:#1a7f37;stroke-opacity:.75}svg line.nvlink{stroke-width:3}svg .nvlabel{fill:#1a7f37;font-weight:700}
footer{color:#57606a;margin-top:2em;font-size:.9em}
)css";

// A finding's reference as a link when it is a web address; a link is followed only when the
// reader clicks it, so the page still loads nothing.
void print_reference(const std::string& ref, std::ostream& out) {
  if (ref.empty()) return;
  const bool web = ref.rfind("https://", 0) == 0 || ref.rfind("http://", 0) == 0;
  out << "<p>Reference: ";
  if (web) out << "<a href=\"" << html_text(ref) << "\">" << html_text(ref) << "</a>";
  else out << html_text(ref);
  out << "</p>\n";
}

void print_table(const Table& t, std::ostream& out, const char* cls = "") {
  out << "<div class=\"scroll\"><table class=\"" << cls << "\"><tr>";
  for (const auto& h : t.header) out << "<th>" << html_text(h) << "</th>";
  out << "</tr>\n";
  for (const auto& row : t.rows) {
    out << "<tr>";
    for (size_t i = 0; i < row.size(); ++i) out << (i == 0 ? "<td class=\"t\">" : "<td>") << html_text(row[i]) << "</td>";
    out << "</tr>\n";
  }
  out << "</table></div>\n";
}

std::string heading_badge(const ReportView& v) {
  const std::string b = figure_badge(v);
  return b.empty() ? "" : "<span class=\"badge\">" + b + "</span> ";
}

void print_header(const ReportView& v, std::ostream& out) {
  out << "<header id=\"verdict\">\n<h1>rigcheck report: " << html_text(v.title) << "</h1>\n";
  if (v.mode == "simulated")
    out << (v.cluster.present ? "<p class=\"banner\"><span class=\"badge\">SIMULATED</span> Every figure comes from rigcheck's fabric and "
                                "network model of these nodes, not from them.</p>\n"
                              : "<p class=\"banner\"><span class=\"badge\">SIMULATED</span> The measurements come from rigcheck's fabric "
                                "model of this machine, not from its GPUs.</p>\n");
  if (v.has_import) {
    out << "<div class=\"banner\"><p><span class=\"badge\">IMPORTED</span> rigcheck did not measure this machine; every figure below "
           "was read from another tool's output.</p>\n<p><b>Inputs</b></p><ul>";
    for (const auto& s : v.import.inputs) out << "<li>" << html_text(s) << "</li>";
    out << "</ul>\n";
    auto list = [&](const std::vector<std::string>& items, const char* title) {
      if (items.empty()) return;
      out << "<p><b>" << title << "</b></p><ul>";
      for (const auto& s : items) out << "<li>" << html_text(s) << "</li>";
      out << "</ul>\n";
    };
    list(v.import.cannot_show, "What the inputs cannot show");
    list(v.import.assumptions, "Assumed for the expectations");
    out << "</div>\n";
  }
  if (v.partial) out << "<p class=\"banner\"><b>Partial report</b>: the run did not finish.</p>\n";
  out << "<p class=\"verdict sev-" << html_text(v.verdict) << "\"><b>Verdict: " << html_text(v.verdict) << "</b> - " << html_text(v.summary)
      << " (" << v.critical << " critical, " << v.warning << " warning, " << v.info << " info)</p>\n";
  for (const auto& p : v.platform) out << "<p class=\"platform\"><b>Platform:</b> " << html_text(p) << "</p>\n";
  print_table(v.versions, out);
  out << "</header>\n";
}

void print_findings(const ReportView& v, std::ostream& out) {
  out << "<section id=\"findings\">\n<h2>Findings</h2>\n";
  if (v.findings.empty()) out << "<p>None.</p>\n";
  constexpr size_t kShownEvidence = 3;  // the rest in a collapsed block
  for (const auto& f : v.findings) {
    out << "<article class=\"finding sev-" << html_text(f.severity) << "\">\n<h3>[" << html_text(f.severity) << "] " << html_text(f.id)
        << ": " << html_text(f.title) << "</h3>\n<ul>";
    for (size_t i = 0; i < f.evidence.size() && i < kShownEvidence; ++i) out << "<li>" << html_text(f.evidence[i]) << "</li>";
    out << "</ul>\n";
    if (f.evidence.size() > kShownEvidence) {
      out << "<details><summary>" << f.evidence.size() - kShownEvidence << " more</summary><ul>";
      for (size_t i = kShownEvidence; i < f.evidence.size(); ++i) out << "<li>" << html_text(f.evidence[i]) << "</li>";
      out << "</ul></details>\n";
    }
    out << "<p><b>Why:</b> " << html_text(f.explanation) << "</p>\n<p><b>Fix:</b></p><pre>" << html_text(f.fix) << "</pre>\n";
    print_reference(f.reference, out);
    out << "</article>\n";
  }
  out << "</section>\n";
}

void print_gpus(const ReportView& v, std::ostream& out) {
  out << "<section id=\"gpus\">\n<h2>GPUs</h2>\n";
  Table t{{"GPU", "PCI address", "model", "link max (now)", "host path GB/s", "NUMA"}, {}};
  for (const auto& g : v.gpus) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", g.host_path_gbps);
    t.rows.push_back({g.label, g.address, g.name, g.link, g.host_path_gbps > 0 ? buf : "?", std::to_string(g.numa_node)});
  }
  print_table(t, out);
  out << "</section>\n";
}

void print_network(const NetworkView& n, std::ostream& out) {
  out << "<section id=\"network\">\n<h2>Network</h2>\n";
  if (!n.nics.rows.empty()) print_table(n.nics, out);
  else out << "<p>No network adapter was found.</p>\n";
  out << "<p>" << html_text(n.gpudirect) << ".</p>\n";
  if (!n.nccl_environment.empty()) {
    out << "<p>NCCL network variables:";
    for (const auto& e : n.nccl_environment) out << " <code>" << html_text(e) << "</code>";
    out << "</p>\n";
  }
  out << "</section>\n";
}

void print_topology(const ReportView& v, std::ostream& out) {
  out << "<section id=\"topology\">\n<h2>PCIe and NVLink tree</h2>\n<p class=\"legend\">Green boxes are GPUs; a red, dashed line "
         "is a link running below its maximum; a dashed box sits behind the chipset; green arcs are NVLink links (NVn: n links).</p>\n"
         "<div class=\"scroll\">\n";
  detail::print_topology_svg(v, out);
  out << "</div>\n";
  if (v.has_path_matrix) {
    out << "<details><summary>" << html_text(v.path_matrix.title) << "</summary>\n";
    Table t{{""}, {}};
    for (const auto& l : v.path_matrix.labels) t.header.push_back(l);
    for (size_t i = 0; i < v.path_matrix.labels.size(); ++i) {
      t.rows.push_back({v.path_matrix.labels[i]});
      for (const auto& c : v.path_matrix.cells[i]) t.rows.back().push_back(c);
    }
    print_table(t, out);
    out << "</details>\n";
  }
  out << "</section>\n";
}

void print_measurements(const ReportView& v, std::ostream& out) {
  out << "<section id=\"heatmaps\">\n<h2>GPU to GPU</h2>\n";
  if (!v.measurement_note.empty()) out << "<p>" << html_text(v.measurement_note) << "</p>\n";
  if (!v.backend.empty()) out << "<p>Backend: " << html_text(v.backend) << ". GB/s = 10<sup>9</sup> bytes/s.</p>\n";
  bool any = false;
  for (const auto& t : v.tests)
    if (t.pairwise) detail::print_heatmap(v, t, out), any = true;
  if (!any) out << "<p>No GPU-pair test in this report.</p>\n";
  out << "</section>\n<section id=\"tests\">\n<h2>Per-GPU and host tests</h2>\n";
  for (const auto& t : v.tests) {
    if (t.pairwise) continue;
    out << "<h3>" << heading_badge(v) << html_text(t.name) << " (" << html_text(t.unit) << ")</h3>\n";
    if (!t.description.empty()) out << "<p>" << html_text(t.description) << "</p>\n";
    print_table(t.cells, out);
  }
  out << "</section>\n";
}

void print_collectives(const ReportView& v, std::ostream& out) {
  if (v.collectives.empty()) return;
  out << "<section id=\"collectives\">\n<h2>" << heading_badge(v) << "Collectives</h2>\n";
  for (const auto& c : v.collectives) {
    out << "<h3>" << html_text(c.op) << " (" << html_text(c.process_model) << ", " << c.ranks << " ranks): " << html_text(c.verdict)
        << "</h3>\n";
    if (c.status != "ok" || c.no_results) out << "<p>" << html_text(c.status) << ": " << html_text(c.detail) << "</p>\n";
    if (!c.transports.empty()) out << "<p>Transports: " << html_text(c.transports) << "</p>\n";
    if (!c.rows.rows.empty()) print_table(c.rows, out);
  }
  out << "</section>\n";
}

// A cluster report: per-node summaries, the node x node heatmap of the leaders' send/recv, the
// collectives per scope, the transports and NCCL's network variables.
void print_cluster(const ReportView& v, std::ostream& out) {
  const ClusterView& c = v.cluster;
  out << "<section id=\"cluster\">\n<h2>" << heading_badge(v) << "Cluster: " << c.nodes << " nodes, " << c.ranks << " ranks</h2>\n";
  if (!c.backend.empty()) out << "<p>Backend: " << html_text(c.backend) << ".</p>\n";
  if (!c.bottleneck.empty()) out << "<p><b>Network bottleneck:</b> " << html_text(c.bottleneck) << "</p>\n";
  out << "<h3>Nodes</h3>\n";
  for (const auto& n : c.node_summaries) {
    const std::string sev = n.verdict == "failed" ? "critical" : n.verdict;
    out << "<article class=\"finding sev-" << html_text(sev) << "\">\n<h3>" << html_text(n.name) << ": " << html_text(n.verdict) << " - "
        << html_text(n.summary) << "</h3>\n<ul>";
    if (!n.failure.empty()) out << "<li><b>FAILED:</b> " << html_text(n.failure) << "</li>";
    if (!n.gpus.empty()) out << "<li>GPUs: " << html_text(n.gpus) << "</li>";
    if (!n.rig.empty()) out << "<li>Rig: " << html_text(n.rig) << "</li>";
    if (!n.nic.empty()) out << "<li>NIC: " << html_text(n.nic) << "</li>";
    for (const auto& f : n.worst_findings) out << "<li>" << html_text(f) << "</li>";
    out << "</ul>\n</article>\n";
  }
  if (c.has_pairwise) {
    out << "<h3>" << heading_badge(v) << html_text(c.pairwise.title) << "</h3>\n<div class=\"scroll\"><table class=\"hm\"><tr><th></th>";
    for (const auto& l : c.pairwise.labels) out << "<th>" << html_text(l) << "</th>";
    out << "</tr>\n";
    for (size_t i = 0; i < c.pairwise.labels.size(); ++i) {
      out << "<tr><th>" << html_text(c.pairwise.labels[i]) << "</th>";
      for (size_t j = 0; j < c.pairwise.cells[i].size(); ++j)
        out << "<td class=\"hm-" << shade_name(c.pairwise_shades[i][j]) << "\">" << html_text(c.pairwise.cells[i][j]) << "</td>";
      out << "</tr>\n";
    }
    out << "</table></div>\n<p class=\"legend\">Against the healthy network's figure:<span class=\"sw hm-ok\"></span> ok"
           "<span class=\"sw hm-short\"></span> short<span class=\"sw hm-far\"></span> far short<span class=\"sw hm-failed\"></span> failed</p>\n";
  }
  if (!c.collectives.rows.empty()) {
    out << "<h3>" << heading_badge(v) << "Collectives across nodes</h3>\n<p>Scopes as nccl-tests' NCCL_TESTS_SPLIT: all (every rank), "
           "network (one GPU per node), intra (inside each node); busbw with nccl-tests' factors.</p>\n";
    print_table(c.collectives, out);
  }
  if (!c.transports.rows.empty()) {
    out << "<h3>" << heading_badge(v) << "Transports between nodes</h3>\n";
    print_table(c.transports, out);
  }
  if (!c.nccl_environment.rows.empty()) {
    out << "<h3>NCCL network variables</h3>\n";
    print_table(c.nccl_environment, out);
  }
  if (!c.notes.empty()) {
    out << "<ul>";
    for (const auto& n : c.notes) out << "<li>" << html_text(n) << "</li>";
    out << "</ul>\n";
  }
  out << "<p>Every node's own report is in the JSON report (<code>nodes[].report</code>).</p>\n</section>\n";
}

}  // namespace

void print_html(const ReportView& v, std::ostream& out) {
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         // The page may load nothing: a report opened from an attachment must not call out.
         "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n"
         "<title>rigcheck report: "
      << html_text(v.title) << (v.mode == "simulated" ? " (SIMULATED)" : v.mode == "imported" ? " (IMPORTED)" : "")
      << "</title>\n<style>" << kStyle << "</style>\n</head>\n<body>\n";
  print_header(v, out);
  print_findings(v, out);
  if (v.cluster.present) {
    print_cluster(v, out);
    out << "<footer>Generated by rigcheck " << html_text(v.tool_version) << " at " << html_text(v.created_utc)
        << ". Every figure is also in the report's JSON.</footer>\n</body>\n</html>\n";
    return;
  }
  print_gpus(v, out);
  print_topology(v, out);
  if (v.network.present) print_network(v.network, out);
  print_measurements(v, out);
  print_collectives(v, out);
  if (!v.failed_tests.empty()) {
    out << "<section id=\"failed\">\n<h2>Tests that did not complete</h2>\n<ul>";
    for (const auto& t : v.failed_tests)
      out << "<li><code>" << html_text(t.name) << "</code>: " << html_text(t.status) << " (" << html_text(t.detail) << ")</li>";
    out << "</ul>\n</section>\n";
  }
  out << "<footer>Generated by rigcheck " << html_text(v.tool_version) << " at " << html_text(v.created_utc)
      << ". Every figure is also in the report's JSON.</footer>\n</body>\n</html>\n";
}

}  // namespace rigcheck::report

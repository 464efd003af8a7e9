// The Markdown form of a report view, for a GitHub issue, Reddit or a Discourse forum post: every
// figure, long tables inside collapsible <details> blocks, and every text that came from the
// machine or the user escaped (markdown_text), so that no name can break the post.

#include <algorithm>
#include <cstdio>

#include "format.h"
#include "matrix_printer.h"
#include "rigcheck/report/view.h"

namespace rigcheck::report {

namespace {

using detail::markdown_text;

void print_table(const Table& t, std::ostream& out) {
  out << "|";
  for (const auto& h : t.header) out << " " << h << " |";
  out << "\n|";
  for (size_t i = 0; i < t.header.size(); ++i) out << "---|";
  out << "\n";
  for (const auto& row : t.rows) {
    out << "|";
    for (const auto& c : row) out << " " << markdown_text(c) << " |";
    out << "\n";
  }
}

void print_matrix(const Matrix& m, std::ostream& out) {
  out << "<details><summary>" << markdown_text(m.title) << "</summary>\n\n|   |";
  for (const auto& l : m.labels) out << " " << l << " |";
  out << "\n|---|";
  for (size_t j = 0; j < m.labels.size(); ++j) out << "---|";
  out << "\n";
  for (size_t i = 0; i < m.labels.size(); ++i) {
    out << "| " << m.labels[i] << " |";
    for (const auto& c : m.cells[i]) out << " " << markdown_text(c) << " |";
    out << "\n";
  }
  out << "\n</details>\n";
}

// A pairwise test as GPU x GPU tables, visible (not collapsed): that is how such results are read.
// Wide rigs get column groups, so that no table is wider than a forum post.
void print_test_matrix(const ReportView& v, const TestView& t, std::ostream& out) {
  out << "**" << v.label << t.name << "** (" << t.unit << ", median)";
  if (!t.description.empty()) out << ": " << markdown_text(t.description);
  out << "\n\n";
  detail::print_matrix_markdown(t.matrix, out);
  if (!t.expected_legend.empty()) out << markdown_text(t.expected_legend) << "\n\n";
}

void print_import(const ImportView& v, std::ostream& out) {
  out << "> **IMPORTED**: rigcheck did not measure this machine; every figure below was read from another tool's output.\n"
      << "\n**Inputs**\n\n";
  for (const auto& s : v.inputs) out << "- " << s << "\n";
  auto list = [&](const std::vector<std::string>& items, const char* title) {
    if (items.empty()) return;
    out << "\n**" << title << "**\n\n";
    for (const auto& s : items) out << "- " << s << "\n";
  };
  list(v.cannot_show, "What the inputs cannot show");
  list(v.assumptions, "Assumed for the expectations");
  out << "\n";
}

void print_finding(const ReportView& v, const FindingView& f, std::ostream& out) {
  out << "### [" << f.severity << "] " << f.id << ": " << markdown_text(f.title) << "\n\n";
  for (const auto& e : f.evidence) out << "- " << markdown_text(e) << "\n";
  // Every case, collapsed, while that stays short; beyond that the matrices show every pair's
  // figure and the JSON every case's line, and a post must fit (32,000 characters on Discourse).
  constexpr size_t kListedDetails = 32;
  if (!f.details.empty() && f.details.size() <= kListedDetails) {
    out << "\n<details><summary>" << v.label << "All " << f.details.size() << " cases</summary>\n\n";
    for (const auto& d : f.details) out << "- " << markdown_text(d) << "\n";
    out << "\n</details>\n";
  } else if (!f.details.empty()) {
    out << "\nAll " << f.details.size() << " cases are in the JSON report (`findings[].details`); the matrices below show every pair.\n";
  }
  out << "\n**Why:** " << markdown_text(f.explanation) << "\n\n**Fix:**\n\n```\n" << f.fix << "\n```\n\n";
  if (!f.reference.empty()) out << "Reference: " << f.reference << "\n\n";
}

void print_gpus(const std::vector<GpuView>& gpus, std::ostream& out) {
  out << "## GPUs\n\n| GPU | PCI address | model | link max (now) | host path GB/s | NUMA |\n|---|---|---|---|---|---|\n";
  for (const auto& g : gpus) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", g.host_path_gbps);
    out << "| " << g.label << " | " << g.address << " | " << markdown_text(g.name) << " | " << g.link << " | " << buf << " | "
        << g.numa_node << " |\n";
  }
}

void print_network(const NetworkView& n, std::ostream& out) {
  out << "\n## Network\n\n";
  if (!n.nics.rows.empty()) {
    print_table(n.nics, out);
    out << "\n";
  } else {
    out << "No network adapter was found.\n\n";
  }
  out << markdown_text(n.gpudirect) << ".\n";
  if (!n.nccl_environment.empty()) {
    out << "\nNCCL network variables:";
    for (const auto& e : n.nccl_environment) out << " `" << e << "`";
    out << "\n";
  }
}

void print_collectives(const ReportView& v, std::ostream& out) {
  out << (v.mode == "imported" ? "## Collectives (IMPORTED from nccl-tests)\n\n" : "## Collectives (NCCL all-reduce)\n\n")
      << "| process model | ranks | size | busbw GB/s | % of expected | check | transports | verdict |\n"
         "|---|---|---|---|---|---|---|---|\n";
  for (const auto& c : v.collectives) {
    if (c.no_results) {
      out << "| " << c.process_model << " | " << c.ranks << " | - | - | - | - | - | " << c.status << ": " << markdown_text(c.detail)
          << " |\n";
      continue;
    }
    for (const auto& row : c.rows.rows)
      out << "| " << c.process_model << " | " << c.ranks << " | " << row[0] << " | " << row[1] << " | " << row[2] << " | " << row[3]
          << " | " << c.transports << " | " << c.verdict << " |\n";
  }
  out << "\n";
}

// A cluster report: per-node summaries, the node x node matrix, the collectives per scope, the
// transports and NCCL's network variables. Every node's own report is in the JSON (nodes[]).
void print_cluster(const ClusterView& c, std::ostream& out) {
  out << "## " << c.label << "Cluster: " << c.nodes << " nodes, " << c.ranks << " ranks\n\n";
  if (!c.backend.empty()) out << "Backend: " << markdown_text(c.backend) << ".\n\n";
  if (!c.bottleneck.empty()) out << "**Network bottleneck:** " << markdown_text(c.bottleneck) << "\n\n";
  Table nodes{{"node", "verdict", "GPUs", "NIC", "worst findings"}, {}};
  for (const auto& n : c.node_summaries) {
    std::string worst;
    for (const auto& f : n.worst_findings) worst += (worst.empty() ? "" : "; ") + f;
    if (!n.failure.empty()) worst = "FAILED: " + n.failure + (worst.empty() ? "" : "; " + worst);
    nodes.rows.push_back({n.name + (n.rig.empty() ? "" : " (" + n.rig + ")"), n.verdict + " - " + n.summary, n.gpus.empty() ? "-" : n.gpus,
                          n.nic.empty() ? "-" : n.nic, worst.empty() ? "-" : worst});
  }
  print_table(nodes, out);
  out << "\n";
  if (c.has_pairwise) {
    out << "**" << markdown_text(c.pairwise.title) << "**\n\n";
    detail::print_matrix_markdown(c.pairwise, out);
    out << "`!` short of the healthy network's figure.\n\n";
  }
  if (!c.collectives.rows.empty()) {
    out << "### " << c.label << "Collectives across nodes\n\n"
        << "Scopes as nccl-tests' NCCL_TESTS_SPLIT: `all` every rank, `network` one GPU per node (only the network carries "
           "it), `intra` inside each node; busbw with nccl-tests' factors (doc/PERFORMANCE.md).\n\n<details><summary>"
        << c.label << c.collectives.rows.size() << " rows</summary>\n\n";
    print_table(c.collectives, out);
    out << "\n</details>\n\n";
  }
  if (!c.transports.rows.empty()) {
    out << "### " << c.label << "Transports between nodes\n\n";
    print_table(c.transports, out);
    out << "\n";
  }
  if (!c.nccl_environment.rows.empty()) {
    out << "### NCCL network variables\n\n";
    print_table(c.nccl_environment, out);
    out << "\n";
  }
  for (const auto& n : c.notes) out << "- " << markdown_text(n) << "\n";
  out << "\nEvery node's own report (topology, findings, measurements) is in the JSON report, `nodes[].report`.\n";
}

}  // namespace

void print_markdown(const ReportView& v, std::ostream& out) {
  out << "# rigcheck report: " << markdown_text(v.title) << "\n\n";
  if (v.mode == "simulated")
    out << (v.cluster.present ? "> **SIMULATED**: every figure comes from rigcheck's fabric and network model of these nodes, not from them.\n\n"
                              : "> **SIMULATED**: the measurements come from rigcheck's fabric model of this machine, not from its GPUs.\n\n");
  if (v.has_import) print_import(v.import, out);
  if (v.partial) out << "> **Partial report**: the run did not finish.\n\n";
  out << "**Verdict: " << v.verdict << "** - " << v.summary << " (" << v.critical << " critical, " << v.warning << " warning, " << v.info
      << " info)\n\n";
  for (const auto& p : v.platform) out << "**Platform:** " << markdown_text(p) << "\n\n";
  print_table(v.versions, out);
  out << "\n## Findings\n\n";
  if (v.findings.empty()) out << "None.\n\n";
  for (const auto& f : v.findings) print_finding(v, f, out);
  if (v.cluster.present) {
    print_cluster(v.cluster, out);
    out << "\n---\nGenerated by rigcheck " << v.tool_version << " at " << v.created_utc << ".\n";
    return;
  }
  print_gpus(v.gpus, out);
  if (v.has_path_matrix) {
    out << "\n";
    print_matrix(v.path_matrix, out);
  }
  if (v.network.present) print_network(v.network, out);
  out << "\n## Measurements\n\n";
  if (!v.measurement_note.empty()) out << markdown_text(v.measurement_note) << "\n\n";
  out << "Pairwise tests are shown as matrices of medians; every sample, every cell's expectation and its reasoning "
         "are in the JSON report (rigcheck.report/1): attach the JSON too when you post this.\n\n";
  if (!v.backend.empty()) out << "Backend: " << v.backend << ". GB/s = 10^9 bytes/s; `*` host-staged; `!` short of expectation (a bandwidth below 85 % of the expected one, a latency above 1.18x the expected).\n\n";
  for (const auto& t : v.tests) {
    if (t.pairwise) {
      print_test_matrix(v, t, out);
      continue;
    }
    out << "<details><summary>" << v.label << t.name << " (" << t.unit << ")</summary>\n\n";
    print_table(t.cells, out);
    out << "\n</details>\n\n";
  }
  if (!v.collectives.empty()) print_collectives(v, out);
  for (const auto& t : v.failed_tests)
    out << "- test `" << t.name << "`: " << t.status << " (" << markdown_text(t.detail) << ")\n";
  out << "\n---\nGenerated by rigcheck " << v.tool_version << " at " << v.created_utc << ".\n";
}

}  // namespace rigcheck::report

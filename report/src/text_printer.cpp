// The terminal form of a report view: the verdict, the findings with their evidence and fix, the
// GPUs, and one summary line per test; every cell is in the Markdown form.

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "matrix_printer.h"
#include "rigcheck/report/view.h"

namespace rigcheck::report {

namespace {

void print_import(const ImportView& v, std::ostream& out) {
  out << "IMPORTED: rigcheck did not measure this machine; every figure below was read from another tool's output.\n"
      << "Inputs:\n";
  for (const auto& s : v.inputs) out << "  " << s << "\n";
  auto list = [&](const std::vector<std::string>& items, const char* title) {
    if (items.empty()) return;
    out << title << ":\n";
    for (const auto& s : items) out << "  " << s << "\n";
  };
  list(v.cannot_show, "What the inputs cannot show");
  list(v.assumptions, "Assumed for the expectations");
  out << "\n";
}

void print_finding(const FindingView& f, std::ostream& out) {
  out << "[" << f.severity << "] " << f.id << ": " << f.title << "\n";
  for (const auto& e : f.evidence) out << "    evidence: " << e << "\n";
  std::istringstream fix(f.fix);
  for (std::string line; std::getline(fix, line);) out << "    fix: " << line << "\n";
}

void print_gpu(const GpuView& g, std::ostream& out) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", g.host_path_gbps);
  out << "  " << g.label << " " << g.address << " " << g.name << "  link " << g.link << "  host path "
      << (g.host_path_gbps > 0 ? buf + std::string(" GB/s") : "?") << "  NUMA " << g.numa_node << "\n";
}

// A pairwise test as a matrix under its summary line, in column blocks that fit a terminal.
void print_matrix(const TestView& t, std::ostream& out) {
  out << "    " << (t.description.empty() ? "row -> column" : t.description) << "\n";
  detail::print_matrix_text(t.matrix, "    ", out);
  if (!t.expected_legend.empty()) out << "    " << t.expected_legend << "; '*' host-staged, '!' short of expectation\n";
}

// "50% of expected !" for bandwidth; "2.0x the expected time !" for latency, where lower is better.
std::string worst_wording(const TestView& t) {
  std::string pct = t.worst_percent;
  const bool short_of = pct.size() > 2 && pct.compare(pct.size() - 2, 2, " !") == 0;
  if (short_of) pct.resize(pct.size() - 2);
  return pct + (t.unit == "ns" ? " the expected time" : " of expected") + (short_of ? " !" : "");
}

void print_test(const ReportView& v, const TestView& t, std::ostream& out) {
  out << "  " << v.label << t.name << ": " << t.ok_cells << " cell(s)";
  if (t.has_worst)
    out << ", worst " << t.worst_value << " " << t.unit << " (" << t.worst_cell
        << (t.worst_percent.empty() ? ", no expectation)" : ", " + worst_wording(t) + ")");
  if (t.below_expectation) out << ", " << t.below_expectation << " below expectation";
  if (t.failed) out << ", " << t.failed << " failed";
  out << "\n";
  if (t.pairwise) print_matrix(t, out);
}

void print_collective(const ReportView& v, const CollectiveView& c, std::ostream& out) {
  out << "  " << v.label << c.op << " (" << c.process_model << "): ";
  if (c.status != "ok") {
    out << c.status << " - " << c.detail << "\n";
    return;
  }
  if (!c.has_largest) return;
  char buf[96];
  std::snprintf(buf, sizeof buf, "busbw %.2f GB/s at %llu bytes", c.largest_busbw_gbps, static_cast<unsigned long long>(c.largest_bytes));
  out << buf << ", " << c.verdict << "\n";
}

void print_table_text(const Table& t, const std::string& indent, std::ostream& out) {
  std::vector<size_t> width(t.header.size(), 0);
  for (size_t i = 0; i < t.header.size(); ++i) width[i] = t.header[i].size();
  for (const auto& row : t.rows)
    for (size_t i = 0; i < row.size() && i < width.size(); ++i) width[i] = std::max(width[i], row[i].size());
  auto line = [&](const std::vector<std::string>& cells) {
    out << indent;
    for (size_t i = 0; i < cells.size() && i < width.size(); ++i)
      out << cells[i] << std::string(width[i] - cells[i].size() + (i + 1 < cells.size() ? 2 : 0), ' ');
    out << "\n";
  };
  line(t.header);
  for (const auto& row : t.rows) line(row);
}

// A cluster report: one line per node, the node x node matrix, the collectives per scope.
void print_cluster(const ClusterView& c, std::ostream& out) {
  out << c.label << "Cluster: " << c.nodes << " node(s), " << c.ranks << " rank(s)" << (c.backend.empty() ? "" : "; " + c.backend) << "\n";
  if (!c.bottleneck.empty()) out << "Network bottleneck: " << c.bottleneck << "\n";
  out << "\nNodes:\n";
  for (const auto& n : c.node_summaries) {
    out << "  " << n.name << ": " << n.verdict << " - " << n.summary;
    if (!n.gpus.empty()) out << "; " << n.gpus;
    if (!n.rig.empty()) out << " (rig " << n.rig << ")";
    out << "\n";
    if (!n.failure.empty()) out << "      FAILED: " << n.failure << "\n";
    if (!n.nic.empty()) out << "      NIC: " << n.nic << "\n";
    for (const auto& f : n.worst_findings) out << "      " << f << "\n";
  }
  if (c.has_pairwise) {
    out << "\n" << c.pairwise.title << ":\n";
    detail::print_matrix_text(c.pairwise, "    ", out);
    out << "    '!' short of the healthy network's figure\n";
  }
  if (!c.collectives.rows.empty()) {
    out << "\n" << c.label << "Collectives across nodes (scope all: every rank; network: one GPU per node; intra: inside the nodes):\n";
    print_table_text(c.collectives, "    ", out);
  }
  if (!c.transports.rows.empty()) {
    out << "\n" << c.label << "Transports between nodes:\n";
    print_table_text(c.transports, "    ", out);
  }
  if (!c.nccl_environment.rows.empty()) {
    out << "\nNCCL network variables:\n";
    print_table_text(c.nccl_environment, "    ", out);
  }
  for (const auto& n : c.notes) out << "Note: " << n << "\n";
}

void print_network(const NetworkView& n, std::ostream& out) {
  out << "\nNetwork:\n";
  if (!n.nics.rows.empty()) print_table_text(n.nics, "    ", out);
  else out << "    no network adapter was found\n";
  out << "    " << n.gpudirect << "\n";
  if (!n.nccl_environment.empty()) {
    out << "    NCCL network variables:";
    for (const auto& e : n.nccl_environment) out << " " << e;
    out << "\n";
  }
}

}  // namespace

void print_text(const ReportView& v, std::ostream& out) {
  if (v.mode == "simulated")
    out << (v.cluster.present ? "SIMULATED: every figure below comes from rigcheck's fabric and network model, not from the nodes.\n"
                              : "SIMULATED: the measurements below come from rigcheck's fabric model, not from the GPUs.\n");
  if (v.has_import) print_import(v.import, out);
  out << "rigcheck report: " << v.title << (v.partial ? "  [PARTIAL]" : "") << "\n";
  out << "Verdict: " << v.verdict << " - " << v.summary << "\n";
  for (const auto& p : v.platform) out << "Platform: " << p << "\n";
  out << "\n";
  for (const auto& f : v.findings) print_finding(f, out);
  if (!v.findings.empty()) out << "\n";
  if (v.cluster.present) {
    print_cluster(v.cluster, out);
    return;
  }
  out << "GPUs:\n";
  for (const auto& g : v.gpus) print_gpu(g, out);
  if (v.network.present) print_network(v.network, out);
  if (!v.measurement_note.empty()) out << "\n" << v.measurement_note << "\n";
  if (!v.tests.empty()) out << "\nMeasurements (median per cell; the .md report has every cell):\n";
  for (const auto& t : v.tests) print_test(v, t, out);
  for (const auto& c : v.collectives) print_collective(v, c, out);
  for (const auto& t : v.failed_tests) out << "! test " << t.name << ": " << t.status << " - " << t.detail << "\n";
}

}  // namespace rigcheck::report

#pragma once
// A renderer-neutral view of a report: what a reader is shown, already grouped, formatted and
// labelled, in the order it is shown. build_view() holds the logic (which cells belong to a
// test, which cell is the worst, how a figure is written, what is SIMULATED or IMPORTED); each
// printer (text, Markdown, and next HTML) only lays the view out for its medium, in the spirit of
// nvbench's printers over its summaries. A new output format adds a printer, not a second
// reading of the report JSON.

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace rigcheck::report {

// A table with a header row; cells are display text (not yet escaped for any medium).
struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

// A square table with labelled rows and columns (GPU x GPU), read as "row to column".
struct Matrix {
  std::string title;
  std::vector<std::string> labels;          // row and column labels, in order
  std::vector<std::vector<std::string>> cells;  // [row][column]
};

// How far a matrix cell is from its expectation, for the pictures' colours (HTML, PNG). The
// bands follow the verdict, so a coloured cell and a '!' always agree: ok is at or above
// diagnosis::kOkRatio; short and far are below it (far: under kFarRatio of the expected figure;
// not 0.5, where a path through the host at twice the time would split one cause in two colours).
// For latency the ratio is expected / measured, so a lower ratio is worse for both kinds.
enum class Shade { self, ok, short_of, far_short, no_expectation, unsupported, failed, missing };
inline constexpr double kFarRatio = 0.4;

// The name of a shade, as the pictures' legends and CSS classes use it ("ok", "short", "far", ...).
const char* shade_name(Shade s);

struct FindingView {
  std::string severity;  // "critical", "warning", "info"
  std::string id;
  std::string title;
  std::vector<std::string> evidence;
  std::string explanation;
  std::string fix;
  std::string reference;
  std::vector<std::string> details;  // every case the evidence summarises (collapsed in a document)
};

struct GpuView {
  std::string label;    // "GPU0"
  std::string address;
  std::string name;
  std::string link;     // "Gen4 x16 (now Gen1 x16)", "?"
  double host_path_gbps = 0;  // 0: not known
  int numa_node = -1;
};

// One catalogue test: a summary (for a terminal) and every cell (for a document); a pairwise
// test also as a GPU x GPU matrix, the way p2pBandwidthLatencyTest and nvbandwidth print them.
struct TestView {
  std::string name;
  std::string unit;
  std::string description;        // the catalogue's, which says who reads or writes whom
  bool pairwise = false;
  Matrix matrix;                  // pairwise: row GPU, column GPU; each cell the median and its marks
  std::string expected_legend;    // pairwise: "expected: PIX 13.33, SYS 9.80-10.10 GB/s"
  int ok_cells = 0;
  int below_expectation = 0;
  int failed = 0;                 // cells that did not give a figure (unsupported is not a failure)
  bool has_worst = false;
  std::string worst_value;        // the lowest bandwidth or the highest latency, with its marks
  std::string worst_cell;         // its name
  std::string worst_percent;      // "62% !", "" when there is no expectation
  Table cells;                    // cell, median, % of expected, verdict, samples
  // pairwise: per matrix cell [row][column], its colour band and ratio to expected (0: none)
  std::vector<std::vector<Shade>> shades;
  std::vector<std::vector<double>> ratios;
  std::string picture_caption;    // pairwise: "row GPU -> column GPU" for the heatmaps
  bool host_staged_marks = true;  // '*' can mark a cell (GPU pairs; never between nodes)
};

// The machine's PCIe tree, for a picture: every node with its parent, in the report's order.
struct PciNodeView {
  int id = -1;
  int parent = -1;          // -1: a root (host bridge)
  std::string kind;         // "host_bridge", "root_port", "switch_upstream", "switch_downstream", "endpoint"
  std::string address;      // "" for a host bridge
  std::string name;         // the device's name; a GPU's model
  std::string link;         // "Gen3 x16" (the link as it runs now), "" when not known
  bool degraded = false;    // the link runs below its maximum
  bool chipset = false;     // behind the chipset rather than the CPU
  int gpu = -1;             // the rigcheck GPU index of an endpoint that is a GPU
  int package = -1;         // a host bridge's CPU package (socket), -1 when not known
};

// NVLink between two GPUs (a < b), or from a GPU to an NVSwitch.
struct NvLinkView {
  int a = -1, b = -1;
  int links = 0;
  double gbps = 0;          // per direction, all links together
  bool via_nvswitch = false;
};

struct CollectiveView {
  std::string process_model;
  std::string op;              // "allreduce"
  int ranks = 0;
  std::string status;          // "ok" or why not
  std::string detail;
  std::string transports;      // "P2P x4, SHM x2"
  std::string verdict;
  bool no_results = false;     // the run gave no row at all (it failed before the first size)
  bool has_largest = false;    // a summary of the largest out-of-place size
  double largest_busbw_gbps = 0;
  uint64_t largest_bytes = 0;
  Table rows;                  // size, busbw GB/s, % of expected, check (out-of-place sizes)
};

// A test of the run that did not complete (its worker hung, crashed or failed).
struct FailedTest {
  std::string name;
  std::string status;
  std::string detail;
};

struct ImportView {
  std::vector<std::string> inputs;       // "name (sha256 …, N bytes): tool [v] lines a-b; …"
  std::vector<std::string> cannot_show;  // what the inputs cannot show
  std::vector<std::string> assumptions;  // assumed for the expectations
};

// A cluster report's part (report/cluster_report.h): per-node summaries, the node x node matrix
// of the leaders' send/recv, the collectives per scope, and the transports NCCL took.
struct NodeSummaryView {
  std::string name;      // "node0"
  std::string rig;       // the rig it was simulated from, "" live
  std::string verdict;   // the node's worst severity, or "failed"
  std::string summary;
  std::string gpus;      // "4x Tesla V100-SXM2-16GB"
  std::string nic;       // "mlx5_0 (ib) 200 Gb/s, PIX to the GPUs, GPUDirect RDMA"
  std::string failure;   // "" unless it hung or died
  std::vector<std::string> worst_findings;  // "[warning] id: title", worst first, at most 3
};

struct ClusterView {
  bool present = false;
  std::string label;     // "SIMULATED " before every inter-node figure's heading when simulated
  std::string backend;
  int nodes = 0;
  int ranks = 0;
  std::string bottleneck;          // what bounds the network
  std::vector<NodeSummaryView> node_summaries;
  bool has_pairwise = false;
  Matrix pairwise;                 // row node sends to column node, GB/s
  std::vector<std::vector<Shade>> pairwise_shades;
  std::vector<std::vector<double>> pairwise_ratios;
  std::string pairwise_expected;   // "expected: 11.75 GB/s (the healthy network)", "" when unknown
  Table collectives;               // op, scope, ranks, size, busbw, expected, % of expected, check
  Table transports;                // from node -> to node, transport, NIC, channels
  Table nccl_environment;          // the NCCL network variables as set
  std::vector<std::string> notes;
};

// The node's network adapters (issue 15), as `rigcheck topology` lists them: what a cluster run
// would leave through, shown so a single-node report already says which NIC is near which GPU.
struct NetworkView {
  bool present = false;
  Table nics;                          // NIC, kind, PCI address, NUMA, ports, PCIe max (now), path to the GPUs
  std::string gpudirect;               // "GPUDirect RDMA: nvidia_peermem loaded; dma-buf possible"
  std::vector<std::string> nccl_environment;  // "NCCL_IB_HCA=mlx5_0", as set when the report was made
};

struct ReportView {
  std::string mode;            // "real", "simulated", "imported"
  std::string label;           // "", "IMPORTED " before every figure's heading
  std::string title;           // the machine
  bool partial = false;
  bool has_import = false;
  ImportView import;
  std::string verdict;         // worst severity
  std::string summary;
  int critical = 0, warning = 0, info = 0;
  Table versions;
  // The platform's own limits, stated once (the expectations assume them): "GPU0-GPU9: slots
  // limited to Gen3 x16, the cards do Gen4 x16".
  std::vector<std::string> platform;
  std::vector<FindingView> findings;
  std::vector<GpuView> gpus;
  bool has_path_matrix = false;
  Matrix path_matrix;          // nvidia-smi topo -m classes
  std::vector<PciNodeView> pci_tree;
  std::vector<NvLinkView> nvlinks;
  NetworkView network;         // present when the machine has a NIC or NCCL network variables
  std::string measurement_note;
  std::string backend;         // "" when the report has none
  std::vector<TestView> tests;
  std::vector<CollectiveView> collectives;
  std::vector<FailedTest> failed_tests;
  ClusterView cluster;         // present only in a cluster report
  std::string tool_version;
  std::string created_utc;
};

// The view of a rigcheck.report/1 document (one that check_report accepted).
ReportView build_view(const nlohmann::json& report);

// A cluster report's node-leader matrix as a pairwise test, for the pictures (the PNG heatmap):
// named "node_leader_send_recv", GB/s, labelled like the report. Only for a view whose
// cluster.has_pairwise.
TestView node_pair_test(const ReportView& view);

// The printers.
void print_text(const ReportView& view, std::ostream& out);
void print_markdown(const ReportView& view, std::ostream& out);
// One self-contained HTML page (inline CSS and SVG, nothing loaded from anywhere): the verdict,
// the findings, the PCIe/NVLink tree and heatmaps of the pairwise tests.
void print_html(const ReportView& view, std::ostream& out);

// "SIMULATED", "IMPORTED" or "": the badge every figure of the pictures carries.
std::string figure_badge(const ReportView& view);

// The report's name wherever its figures are compared: " (SIMULATED)", " (IMPORTED)" or "".
std::string mode_label(const std::string& mode);

}  // namespace rigcheck::report

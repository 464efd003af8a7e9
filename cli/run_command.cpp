#include "run_command.h"

#include <unistd.h>

#include <cerrno>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "arg_checks.h"
#include "exit_codes.h"
#include "rigcheck/report/png.h"
#include "rigcheck/report/redact.h"
#include "rigcheck/report/report.h"
#include "rigcheck/app/run.h"
#include "rigcheck/topology/errors.h"
#include "size_arg.h"
#include "terminal_safe.h"

extern char** environ;

namespace rigcheck::cli {

namespace {

// Back to the start of the terminal's line and erase it, for the live status line. These two
// controls are written past the filter that keeps names from driving the terminal
// (terminal_safe.h); the text of the line still goes through it. A failed write costs only the
// look of a status line, so there is nothing to do about one.
// One progress line in one write(2). Under mpirun every rank's stderr goes through one pipe per
// rank and mpirun interleaves what arrives, so a line written in pieces (iostream writes the text
// and the newline separately) came out as "nnode1: …" and "ode0: …" when ranks printed at once.
void write_stderr(const std::string& text) {
  std::cerr.flush();
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(STDERR_FILENO, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // stderr closed: progress is not worth failing the run
    done += static_cast<size_t>(n);
  }
}

constexpr const char* kClearLine = "\r\033[K";

}  // namespace

namespace {

std::atomic<bool> g_interrupted{false};
void on_interrupt(int) { g_interrupted = true; }

}  // namespace

CLI::App* add_run_command(CLI::App& app, RunArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "run",
      "The whole validation: topology, doctor, measurements (each test in its own process with a timeout), "
      "diagnosis; writes results/<date>-<id>.json, .md and .html. Exit code: 0 nothing above info, 3 warnings, 4 critical, "
      "1 internal error, 2 bad input.");
  cmd->add_option("--simulate", args.simulate,
                  "Measure on the simulated fabric of this topology JSON or rig file; a cluster file (rigcheck.cluster/1, "
                  "results/clusters/) simulates every node and the network between them and writes one cluster report")
      ->check(CLI::ExistingFile);
  cmd->add_option("--variant", args.variant, "Rig or cluster variant (default: the file's first, healthy one)");
  cmd->add_option("--gpus", args.gpus, "Only these GPUs (rigcheck indexes)")->delimiter(',');
  cmd->add_flag("--full", args.full, "Every test in the catalogue instead of the quick set");
  cmd->add_option("--size", args.size, "Bytes per copy")->capture_default_str();
  cmd->add_option("--test-timeout", args.test_timeout_s, "Seconds before a test counts as hung (on real GPUs at least; tests with many cells or slow links get what they need)")->capture_default_str()
      ->check(positive_seconds());
  cmd->add_option("--out", args.out, "Directory for the report files")->capture_default_str();
  cmd->add_option("--name", args.name, "File name stem of the report (default: <date>-<id>)");
  cmd->add_flag("--quiet", args.quiet, "No progress lines; only the final summary");
  cmd->add_flag("--keep-hostname", args.keep_hostname, "Put this machine's hostname in the report (left out by default)");
  cmd->add_flag("--no-redact", args.no_redact,
                "Keep the hostname, UUIDs, addresses, GUIDs, home and other paths in the report verbatim (by default "
                "they are replaced, since reports are posted publicly)");
  cmd->add_flag("--nodes-in-turn", args.nodes_in_turn,
                "Across nodes (mpirun, srun --mpi=pmix): one node's local part at a time, in node order, instead of all at once");
  cmd->add_option("--node-timeout", args.node_timeout_s,
                  "Across nodes: seconds a node's local part may take before its node counts as hung")
      ->capture_default_str()
      ->check(positive_seconds());
  cmd->add_flag("--no-internode", args.no_internode, "Across nodes: the nodes' local parts only, no NCCL between nodes");
  cmd->add_option("--internode-timeout", args.internode_timeout_s,
                  "Across nodes: seconds one NCCL step between nodes (set-up, one collective and size, one node pair) may take")
      ->capture_default_str()
      ->check(positive_seconds());
  return cmd;
}

CLI::App* add_report_command(CLI::App& app, ReportArgs& args) {
  CLI::App* cmd = app.add_subcommand("report", "Print a saved report again, or draw it (HTML page, PNG heatmaps)");
  cmd->add_option("file", args.file, "A report written by rigcheck run")->required()->check(CLI::ExistingFile);
  cmd->add_option("--format", args.format,
                  "text, markdown, json, html (one self-contained page: verdict, findings, PCIe/NVLink tree, heatmaps; to "
                  "standard output, or to DIR/<report name>.html with -o) or png (one heatmap image per GPU-pair test, "
                  "<report name>-<test>.png, next to the report or in -o DIR; the paths are printed)")
      ->check(CLI::IsMember({"text", "markdown", "json", "html", "png"}))
      ->capture_default_str();
  cmd->add_option("-o,--out", args.out, "html, png: the directory to write the files to (created if missing)");
  return cmd;
}

CLI::App* add_compare_command(CLI::App& app, CompareArgs& args) {
  CLI::App* cmd = app.add_subcommand("compare", "Put reports side by side (x16 vs x8 vs riser): values, changes, verdicts, findings; cluster reports also per node and between nodes");
  cmd->add_option("files", args.files, "Two or more reports; the first is the baseline")->required()->expected(2, 16)
      ->check(CLI::ExistingFile);
  cmd->add_flag("--markdown", args.markdown, "Markdown instead of text");
  return cmd;
}

namespace {

// --name is a file name stem, not a path: "../../x" wrote outside --out.
void check_name(const std::string& name) {
  if (name.empty()) return;
  if (name == "." || name == ".." || name.find('/') != std::string::npos || name.find('\0') != std::string::npos)
    throw topology::InputError("--name: \"" + name + "\" must be a file name without \"/\" (the report goes into --out)");
}

// The directory the report goes to, created if missing. A symbolic link is followed, and the
// user is told where the files really go.
std::string report_directory(const std::string& out) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::string dir = out;
  if (fs::is_symlink(out, ec)) {
    const fs::path target = fs::canonical(out, ec);
    if (ec) throw topology::InputError("--out " + out + " is a symbolic link that cannot be followed: " + ec.message());
    std::cerr << "rigcheck: --out " << out << " is a symbolic link; the report goes to " << target.string() << "\n";
    dir = target.string();
  }
  fs::create_directories(dir, ec);
  if (ec) throw topology::InputError("--out: cannot create the directory " + dir + ": " + ec.message());
  if (!fs::is_directory(dir, ec)) throw topology::InputError("--out " + dir + " is not a directory");
  return dir;
}

}  // namespace

app::RunConfig local_run_config(const RunArgs& args, int argc, char** argv, bool writes_files) {
  check_name(args.name);
  auto bytes = parse_size(args.size);
  if (!bytes || *bytes < 4096) throw topology::InputError("--size: \"" + args.size + "\" is not a size of at least 4KiB");
  app::RunConfig c;
  c.simulate = args.simulate;
  c.variant = args.variant;
  c.gpus = args.gpus;
  c.full = args.full;
  c.bytes = *bytes;
  c.test_timeout_s = args.test_timeout_s;
  c.out_dir = writes_files ? report_directory(args.out) : args.out;
  c.name = args.name;
  c.keep_hostname = args.keep_hostname || args.no_redact;
  report::set_redaction(!args.no_redact);
  c.command_line.assign(argv, argv + argc);
  c.environment = environ;
  c.interrupted = &g_interrupted;
  if (!args.quiet && ::isatty(STDERR_FILENO)) {
    // A terminal: one live line, rewritten in place, that each step's own line replaces.
    c.live = [](const std::string& line) { write_stderr(kClearLine + terminal_safe(line)); };
    c.progress = [](const std::string& line) { write_stderr(kClearLine + terminal_safe(line + "\n")); };
  } else if (!args.quiet) {
    c.progress = [](const std::string& line) { write_stderr(terminal_safe(line + "\n")); };  // a log: plain lines only
  }
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  return c;
}

int run_run(const RunArgs& args, int argc, char** argv) {
  app::RunConfig c = local_run_config(args, argc, argv, true);
  app::RunOutcome o = app::execute_run(c);
  std::cout << "\n";
  report::render_report_text(o.report, std::cout);
  std::cout << "\nReport: " << o.json_path << ", " << o.markdown_path << " and " << o.html_path
            << " (attach the .md to your build thread; the .html opens in any browser)\n";
  const std::string worst = o.report.at("verdict").at("worst");
  if (g_interrupted) return kExitFailure;
  return worst == "critical" ? kExitCritical : (worst == "warning" ? kExitWarnings : kExitOk);
}

namespace {

// Where `report --format html|png` writes: -o DIR (created), else the report's own directory.
std::string picture_directory(const ReportArgs& args) {
  namespace fs = std::filesystem;
  if (args.out.empty()) {
    const fs::path parent = fs::path(args.file).parent_path();
    return parent.empty() ? "." : parent.string();
  }
  return report_directory(args.out);
}

// The HTML page or the PNG heatmaps; the paths written are printed, one a line.
void write_pictures(const ReportArgs& args, const nlohmann::json& r) {
  const std::string stem = std::filesystem::path(args.file).stem().string();
  const report::ReportView view = report::build_view(r);
  if (args.format == "html") {
    if (args.out.empty()) {
      report::print_html(view, std::cout);
      return;
    }
    std::ostringstream page;
    report::print_html(view, page);
    const std::string path = (std::filesystem::path(picture_directory(args)) / (stem + ".html")).string();
    report::write_atomically(path, page.str());
    std::cout << path << "\n";
    return;
  }
  if (std::none_of(view.tests.begin(), view.tests.end(), [](const report::TestView& t) { return t.pairwise; }) &&
      !view.cluster.has_pairwise)
    throw topology::InputError(args.file + " has no GPU-pair or node-pair test, so there is no heatmap to draw (--format html shows the rest)");
  const auto paths = report::write_heatmap_pngs(view, picture_directory(args), stem);
  for (const auto& p : paths) std::cout << p << "\n";
}

}  // namespace

int run_report(const ReportArgs& args) {
  // Text, Markdown and JSON go to standard output (redirect them); -o there would be ignored.
  if (!args.out.empty() && args.format != "html" && args.format != "png")
    throw topology::InputError("-o/--out applies to --format html and png; --format " + args.format + " prints to standard output");
  auto r = report::load_report(args.file);
  try {
    if (args.format == "html" || args.format == "png") write_pictures(args, r);
    else if (args.format == "json") std::cout << r.dump(2) << "\n";
    else if (args.format == "markdown") report::render_report_markdown(r, std::cout);
    else report::render_report_text(r, std::cout);
  } catch (const nlohmann::json::exception& e) {
    // A field of the wrong type deep inside a report the schema check let through.
    throw topology::InputError(args.file + " is not a well-formed report: " + e.what());
  }
  return kExitOk;
}

int run_compare(const CompareArgs& args) {
  std::vector<nlohmann::json> reports;
  std::vector<std::string> names;
  for (const auto& f : args.files) {
    reports.push_back(report::load_report(f));
    names.push_back(std::filesystem::path(f).stem().string());
  }
  try {
    report::render_compare(reports, names, args.markdown, std::cout);
  } catch (const nlohmann::json::exception& e) {
    throw topology::InputError(std::string("a report is not well-formed: ") + e.what());
  }
  return kExitOk;
}

}  // namespace rigcheck::cli

#include "rigcheck/report/import_report.h"

#include <map>
#include <utility>

#include "rigcheck/report/bench_view.h"
#include "rigcheck/report/report.h"

namespace rigcheck::report {

using diagnosis::Finding;
using diagnosis::ImportedRun;

using nlohmann::json;

namespace {

json provenance_json(const ingest::Provenance& p) {
  return {{"file", p.file}, {"line", p.line}, {"tool", p.tool}, {"version", p.version}, {"method", p.method}};
}

json inputs_json(const ingest::PartialMachine& m) {
  json out = json::array();
  for (const auto& f : m.inputs) {
    json blocks = json::array();
    for (const auto& b : f.blocks)
      blocks.push_back({{"tool", b.tool}, {"version", b.version}, {"first_line", b.first_line}, {"last_line", b.last_line}});
    out.push_back({{"name", f.name}, {"sha256", f.sha256}, {"bytes", f.bytes}, {"blocks", blocks}});
  }
  return out;
}

json imported_json(const ingest::PartialMachine& m, const ingest::MachineModel& mm) {
  json gpus = json::array();
  for (size_t i = 0; i < m.gpus.size(); ++i) {
    const auto& g = m.gpus[i];
    gpus.push_back({{"index", g.index},
                    {"name", g.name},
                    {"address", g.address ? json(g.address->str()) : json(nullptr)},
                    {"numa_node", g.numa_node},
                    {"cpu_affinity", g.cpu_affinity},
                    {"model_known", static_cast<bool>(mm.model_known[i])}});
  }
  json pairs = json::array();
  for (const auto& p : m.pairs)
    pairs.push_back({{"a", p.a},
                     {"b", p.b},
                     {"path", p.path ? json(topology::to_string(*p.path)) : json(nullptr)},
                     {"nvlink_links", p.nvlink_links},
                     {"p2p_granted", p.p2p_granted ? json(*p.p2p_granted) : json(nullptr)},
                     {"p2p_status", p.p2p_status},
                     {"smi_p2p", p.smi_p2p}});
  json events = json::array();
  for (const auto& e : m.events)
    events.push_back({{"kind", ingest::to_string(e.kind)}, {"test", e.test}, {"text", e.text}, {"source", provenance_json(e.from)}});
  json kernel = json::array();
  const char* kinds[] = {"link_limited", "aer_corrected", "aer_uncorrected", "xid"};
  for (const auto& k : m.kernel)
    kernel.push_back({{"kind", kinds[static_cast<int>(k.kind)]}, {"device", k.device}, {"limited_at", k.limited_at},
                      {"limited_to", k.limited_to}, {"capable_of", k.capable_of}, {"xid", k.xid}, {"text", k.text},
                      {"source", provenance_json(k.from)}});
  const auto& n = m.nccl;
  json transports = {{"p2p", n.p2p}, {"shm", n.shm}, {"net", n.net}, {"format", n.format}, {"p2p_disabled", n.p2p_disabled}};
  json lspci = json::array();
  for (const auto& k : m.lspci)
    lspci.push_back({{"device", k.device}, {"name", k.name}, {"cap", {{"gen", k.cap.gen}, {"width", k.cap.width}}},
                     {"sta", {{"gen", k.sta.gen}, {"width", k.sta.width}}}, {"speed_downgraded", k.speed_downgraded},
                     {"width_downgraded", k.width_downgraded}, {"source", provenance_json(k.from)}});
  // What the inputs cannot show, and what the machine model cannot expect from them.
  std::vector<std::string> cannot_show = m.cannot_show;
  cannot_show.insert(cannot_show.end(), mm.cannot_show.begin(), mm.cannot_show.end());
  return {{"kernel", kernel},
          {"lspci", lspci},
          {"nccl_transports", transports},
          {"gpus", gpus},       {"pairs", pairs},           {"nics", m.nics},
          {"events", events},   {"cannot_show", cannot_show}, {"assumptions", mm.assumptions},
          {"conflicts", m.conflicts}};
}

const char* rigcheck_op(const std::string& op) {
  if (op == "all_reduce") return "allreduce";
  if (op == "all_gather") return "allgather";
  if (op == "reduce_scatter") return "reducescatter";
  if (op == "broadcast") return "broadcast";
  if (op == "reduce") return "reduce";
  if (op == "alltoall") return "alltoall";
  if (op == "sendrecv") return "sendrecv";
  return "unknown";
}

json collectives_json(const ingest::PartialMachine& m) {
  json out = json::array();
  for (const auto& c : m.collectives) {
    const std::string op = rigcheck_op(c.op);
    json results = json::array();
    for (const auto& r : c.rows)
      results.push_back({{"op", op},
                         {"bytes", r.bytes},
                         {"count", r.count},
                         {"type", r.type},
                         {"in_place", r.in_place},
                         {"time_us", r.time_us},
                         {"algbw_gbps", r.algbw},
                         {"busbw_gbps", r.busbw},
                         {"check", r.wrong > 0 ? "wrong" : r.wrong < 0 ? "skipped" : "ok"}});
    out.push_back({{"mode", "imported"},
                   {"backend", "nccl-tests " + c.from.version + " (IMPORTED from " + c.from.file + ":" + std::to_string(c.from.line) + ")"},
                   {"process_model", c.one_process ? "single" : "per-gpu"},
                   {"ranks", c.ranks},
                   {"status", c.complete ? "ok" : "error"},
                   {"detail", c.complete ? "" : "the output stops before its footer (a hang, a crash or a cut paste)"},
                   {"results", results},
                   {"transports", {{"counts", json::object()}, {"routes", json::array()}, {"nvls", false}}},
                   {"verdicts", {{op, "imported"}}},
                   {"control", nullptr},
                   {"source", provenance_json(c.from)},
                   {"hosts", c.hosts},
                   {"avg_busbw_gbps", c.avg_busbw ? json(*c.avg_busbw) : json(nullptr)}});
  }
  return out;
}

}  // namespace

json imported_report(const ingest::PartialMachine& m, const ingest::MachineModel& mm, const ImportedRun& r,
                     const std::vector<Finding>& findings, const ImportHeader& h) {
  ReportHeader rh;
  rh.mode = "imported";
  rh.created_utc = h.created_utc;
  rh.command_line = h.command_line;
  // Nothing of this machine's environment describes the imported one.
  json report = new_report(rh, mm.stated, findings);
  report["status"] = "complete";
  report["backend"] = r.run.backend;
  // Moved, not copied: with the figures at their cap (ingest::kMaxCells) each copy of the
  // cells is tens of MiB, and two of them were the peak of a big import.
  json cells = std::move(bench_json(r.run, r.judgements)["cells"]);
  // The same cell from a second run in the inputs (a "before and after" post) keeps its own
  // name, so that compare and the tables do not take one for the other.
  std::map<std::string, int> seen;
  for (auto& c : cells)
    if (int n = ++seen[c.at("name").get<std::string>()]; n > 1) c["name"] = c.at("name").get<std::string>() + " #" + std::to_string(n);
  for (size_t i = 0; i < cells.size(); ++i) {
    const ingest::ImportedCell& c = m.cells[r.source[i]];
    cells[i]["imported"] = provenance_json(c.from);
    cells[i]["imported"]["foreign_test"] = c.foreign;
  }
  report["measurements"] = std::move(cells);
  report["collectives"] = collectives_json(m);
  report["measurement_note"] =
      "IMPORTED: every figure here was read from another tool's output (see inputs), not measured by rigcheck; "
      "expectations assume what no input states (see imported.assumptions).";
  report["inputs"] = inputs_json(m);
  report["imported"] = imported_json(m, mm);
  return report;
}

}  // namespace rigcheck::report

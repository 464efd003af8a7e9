// rigcheck's own report ("schema": "rigcheck.report/1"), read back so that a newer rigcheck can
// diagnose it again: its measured cells become imported cells (labelled with the report's tool
// version and mode) and its machine ("topology", rigcheck.topology/1) is taken whole, so the
// expectations come from the machine as it was discovered, not from assumptions. The report's
// own findings and verdicts are not read: judging again is the point.

#include <cctype>
#include <cstdio>

#include "json_readers.h"
#include "rigcheck/ingest/blocks.h"
#include "rigcheck/ingest/parsers.h"
#include "rigcheck/topology/json.h"

namespace rigcheck::ingest {

namespace {

std::string text(const nlohmann::json& obj, const char* key) {
  if (!obj.is_object()) return "";
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
}

const nlohmann::json& at_key(const nlohmann::json& obj, const char* key) {
  static const nlohmann::json none;
  if (!obj.is_object()) return none;
  auto it = obj.find(key);
  return it == obj.end() ? none : *it;
}

// The GPUs a cell is about, from its name: "host_to_device_ce/gpu0" (col 0), or
// "device_to_device_read_ce/gpu0-gpu1" (row 0, col 1). The name is the plan's own, so it keeps
// rigcheck's row -> column orientation whatever the copy's initiator was.
bool gpus_of(const std::string& name, int& row, int& col) {
  const size_t slash = name.rfind('/');
  if (slash == std::string::npos) return false;
  int a = -1, b = -1;
  char tail = 0;
  const std::string who = name.substr(slash + 1);
  if (std::sscanf(who.c_str(), "gpu%d-gpu%d%c", &a, &b, &tail) == 2 && a >= 0 && b >= 0 && a <= 4096 && b <= 4096) {
    row = a, col = b;
    return true;
  }
  if (std::sscanf(who.c_str(), "gpu%d%c", &a, &tail) == 1 && a >= 0 && a <= 4096) {
    row = -1, col = a;
    return true;
  }
  return false;
}

// rigcheck's cell statuses onto the imported ones; hang/error/not_run cells carry no figure.
std::string cell_status(const std::string& s) {
  if (s == "ok" || s == "corrupt" || s == "unsupported") return s;
  return "";
}

void read_machine(const nlohmann::json& topo, const Provenance& at, PartialMachine& m) {
  topology::Topology t;
  try {
    t = topology::topology_from_json(topo);
  } catch (const std::exception& e) {
    m.conflicts.push_back(std::string("the report's machine could not be read (") + e.what() + "); only its figures were imported");
    return;
  }
  for (const auto& g : t.gpus) {
    name_gpu(m, g.index, g.name, at);
    ImportedGpu& ig = gpu_at(m, g.index);
    ig.address = g.address;
    ig.numa_node = g.numa_node;
    ig.cpu_affinity = g.local_cpus;
  }
  for (const auto& p : t.pairs) {
    ImportedPair& ip = pair_at(m, p.a, p.b);
    if (p.pcie != topology::PathClass::unknown) ip.path = p.pcie;
    ip.nvlink_links = p.nvlink_links;
    ip.p2p_granted = p.p2p.cuda;
    if (p.p2p.cuda) ip.p2p_status = *p.p2p.cuda ? "peer access granted (rigcheck report)" : "peer access not granted (rigcheck report)";
    ip.from = at;
  }
  m.reported_topology = std::move(t);
}

}  // namespace

std::string read_rigcheck_report(const nlohmann::json& j, const Provenance& at, bool cut, PartialMachine& m) {
  if (!text(j, "schema").empty() && text(j, "schema") != "rigcheck.report/1") throw ParseError(at.line, "a rigcheck report of another schema (" + text(j, "schema") + ")");
  const std::string mode = text(j, "mode");
  const std::string version = "rigcheck " + text(at_key(j, "tool"), "version") + (mode.empty() ? "" : " (" + mode + " report)");
  Provenance from = at;
  from.tool = "rigcheck";
  from.version = version;
  const nlohmann::json& v = at_key(j, "versions");
  if (const std::string d = text(v, "nvidia_driver"); !d.empty()) m.versions.nvidia_driver = d;
  for (auto [key, into] : {std::pair{"cuda_driver", &m.versions.cuda_driver}, {"cuda_runtime", &m.versions.cuda_runtime}, {"nccl", &m.versions.nccl}})
    if (const auto& n = at_key(v, key); n.is_number_integer() && n.get<long long>() > 0 && n.get<long long>() < 1000000) *into = n.get<int>();
  if (const auto& topo = at_key(j, "topology"); topo.is_object()) read_machine(topo, from, m);
  size_t read = 0;
  if (const auto& ms = at_key(j, "measurements"); ms.is_array()) {
    for (const auto& meas : ms) {
      int row = -1, col = -1;
      const std::string test = text(meas, "test");
      if (test.empty() || !gpus_of(text(meas, "name"), row, col)) continue;
      const std::string raw_status = text(meas, "status");
      const std::string status = cell_status(raw_status);
      if (status.empty()) {
        Event e;
        e.kind = raw_status == "hang" ? Event::Kind::truncated : Event::Kind::error;
        e.test = test;
        e.text = text(meas, "name") + ": " + raw_status + (text(meas, "detail").empty() ? "" : " - " + text(meas, "detail")) + " (in the rigcheck report)";
        e.from = from;
        m.events.push_back(e);
        continue;
      }
      ImportedCell c;
      c.test = test;
      c.mapped = true;  // a rigcheck test by definition; a renamed one is judged as a foreign figure
      c.foreign = text(meas, "name");
      c.row = row;
      c.col = col;
      c.unit = text(meas, "unit");
      c.status = status;
      c.from = from;
      c.from.method = text(meas, "engine");
      if (const auto& b = at_key(meas, "bytes_counted"); b.is_number_unsigned()) c.from.bytes = b.get<uint64_t>();
      const auto& median = at_key(meas, "median");
      if (status == "ok") {
        if (!median.is_number()) continue;
        c.value = median.get<double>();
      }
      gpu_at(m, col);
      if (row >= 0) gpu_at(m, row);
      m.cells.push_back(std::move(c));
      ++read;
    }
  }
  if (read == 0 && !m.reported_topology) throw ParseError(at.line, "rigcheck report without measurements or machine");
  if (cut) {
    Event e;
    e.kind = Event::Kind::truncated;
    e.text = "the rigcheck report is cut; the measurements complete before the cut were read";
    e.from = from;
    m.events.push_back(e);
  }
  return version;
}

}  // namespace rigcheck::ingest

// nccl-tests JSON, two dialects:
//  * `-J FILE` (nccl-tests 2.17.x, Oct 2025 on; written by src/util.cu): {"version": 1-3,
//    "start_time", "args": [argv], "env": [the whole environment], "nccl_version": 22907,
//    "config": {…, "devices": [{rank, group, pid, hostname, device, device_hex, device_info}]},
//    "results": [{size, count, type, redop, root, "out_of_place": {time|cpu_time, alg_bw, bus_bw,
//    nwrong} or null, "in_place": {…}}], "out_of_bounds": {count, okay}, "average_bus_bandwidth":
//    {bandwidth, okay}, "errors": [], "end_time"}. Version 1 spelt "average_bus_bandwidith" and
//    "bandwidith". nwrong is null when results were not checked (-c 0). Booleans are strings.
//  * `--json` of a community patch (NVIDIA/nccl-tests#318, not merged) printed to stdout:
//    {"identifier": "nccl-tests structured output", "version": "<NCCL version>", "benchmark":
//    [{"<bytes>": {count, type, redop, root, oop_time, oop_algbw, oop_busbw, oop_error, ip_time,
//    …, ip_error}}]}, where an unchecked error is the string "N/A".
// The environment is never kept: it can hold anything (tokens, paths).

#include <algorithm>
#include <cstdio>
#include <set>

#include "json_readers.h"
#include "rigcheck/ingest/blocks.h"
#include "rigcheck/ingest/parsers.h"

namespace rigcheck::ingest {

namespace {

double number_of(const nlohmann::json& j, bool& ok) {
  ok = true;
  if (j.is_number()) return j.get<double>();
  double v = 0;
  if (j.is_string() && parse_number(j.get_ref<const std::string&>(), v)) return v;
  ok = false;
  return 0;
}

std::string string_of(const nlohmann::json& obj, const char* key) {
  if (!obj.is_object()) return "";
  auto it = obj.find(key);
  if (it == obj.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number()) return it->dump();
  return "";
}

const nlohmann::json* member(const nlohmann::json& obj, std::initializer_list<const char*> keys) {
  if (!obj.is_object()) return nullptr;
  for (const char* k : keys)
    if (auto it = obj.find(k); it != obj.end()) return &*it;
  return nullptr;
}

}  // namespace

std::string op_from_program(std::string p) {
  if (size_t slash = p.find_last_of('/'); slash != std::string::npos) p = p.substr(slash + 1);
  if (p.size() <= 5 || p.compare(p.size() - 5, 5, "_perf") != 0) return "";
  p.resize(p.size() - 5);
  if (p.rfind("nccl_", 0) == 0) p = p.substr(5);
  return p;
}

namespace {

// A count of wrong elements as nccl-tests writes it (a double), kept in range for the cast.
long wrong_count(double v) { return v >= 1 ? static_cast<long>(std::min(v, 1e15)) : 0; }

// One half (out of place or in place) of a result row; false when the half is absent or null.
bool read_half(const nlohmann::json* half, bool in_place, CollectiveRow& r) {
  if (!half || !half->is_object()) return false;
  bool ok_time = false, ok_alg = false, ok_bus = false, ok_wrong = false;
  const nlohmann::json* t = member(*half, {"time", "cpu_time"});
  const nlohmann::json* a = member(*half, {"alg_bw"});
  const nlohmann::json* b = member(*half, {"bus_bw"});
  if (!t || !a || !b) return false;
  r.time_us = number_of(*t, ok_time);
  r.algbw = number_of(*a, ok_alg);
  r.busbw = number_of(*b, ok_bus);
  if (!ok_time || !ok_alg || !ok_bus) return false;
  const nlohmann::json* w = member(*half, {"nwrong"});
  const double wrong = w ? number_of(*w, ok_wrong) : 0;
  r.wrong = ok_wrong ? wrong_count(wrong) : -1;  // null: not checked (-c 0)
  r.in_place = in_place;
  return true;
}

// NCCL's version code from "2.26.6" (the patch prints the library version as text).
int nccl_code(const std::string& v) {
  int major = 0, minor = 0, patch = 0;
  if (std::sscanf(v.c_str(), "%d.%d.%d", &major, &minor, &patch) < 2 || major < 2 || major > 9) return 0;
  return major * 10000 + minor * 100 + patch;
}

std::string read_official(const nlohmann::json& j, ImportedCollective& c, PartialMachine& m) {
  if (auto v = j.find("nccl_version"); v != j.end() && v->is_number_integer()) m.versions.nccl = v->get<int>();
  if (auto args = j.find("args"); args != j.end() && args->is_array() && !args->empty() && (*args)[0].is_string())
    c.op = op_from_program((*args)[0].get<std::string>());
  std::set<std::string> hosts, pids;
  std::string first_host;
  const nlohmann::json* config = member(j, {"config"});
  const nlohmann::json* devices = config ? member(*config, {"devices"}) : nullptr;
  if (devices && devices->is_array()) {
    for (const auto& d : *devices) {
      if (!d.is_object()) continue;
      ++c.ranks;
      const std::string host = string_of(d, "hostname");
      hosts.insert(host);
      if (const std::string pid = string_of(d, "pid"); !pid.empty()) pids.insert(pid);
      if (first_host.empty()) first_host = host;
      bool ok = false;
      const nlohmann::json* dev = member(d, {"device"});
      const double index = dev ? number_of(*dev, ok) : -1;
      if (!ok || !(index >= 0 && index <= 4096)) continue;  // NaN fails too
      const std::string bus = string_of(d, "device_hex");
      std::string bdf;
      if (bus.rfind("0x", 0) == 0 && bus != "0x00") bdf = "0000:" + bus.substr(2) + ":00.0";
      else if (std::count(bus.begin(), bus.end(), ':') == 2) bdf = bus + ".0";
      RankDevice rd;
      bool ok_rank = false;
      const nlohmann::json* rank = member(d, {"rank"});
      const double r = rank ? number_of(*rank, ok_rank) : -1;
      rd.rank = ok_rank && r >= 0 && r < 1e9 ? static_cast<int>(r) : c.ranks - 1;
      rd.host = host;
      rd.device = static_cast<int>(index);
      rd.bus = bus;
      rd.name = string_of(d, "device_info");
      note_rank_device(m, c, rd, bdf, c.from);
      if (host != first_host) continue;  // the machine model is the first host's, as in the text
      ImportedGpu& g = gpu_at(m, static_cast<int>(index));
      if (!bdf.empty() && !g.address) g.address = topology::PciAddress::parse(bdf);
      Provenance here = c.from;
      name_gpu(m, static_cast<int>(index), rd.name, here);
    }
  }
  c.hosts = static_cast<int>(hosts.size());
  c.one_process = pids.size() <= 1;
  const nlohmann::json* results = member(j, {"results"});
  if (results && results->is_array()) {
    for (const auto& r : *results) {
      bool ok_size = false, ok_count = false;
      const nlohmann::json* size = member(r, {"size"});
      const nlohmann::json* count = member(r, {"count"});
      if (!size || !count) continue;
      const double bytes = number_of(*size, ok_size), elements = number_of(*count, ok_count);
      if (!ok_size || !ok_count || !(bytes >= 0 && bytes < 1e18) || !(elements >= 0 && elements < 1e18)) continue;  // casts stay defined
      for (int part = 0; part < 2; ++part) {
        CollectiveRow row;
        row.bytes = static_cast<uint64_t>(bytes);
        row.count = static_cast<uint64_t>(elements);
        row.type = string_of(r, "type");
        row.line = c.from.line;
        if (read_half(member(r, {part ? "in_place" : "out_of_place"}), part == 1, row)) c.rows.push_back(row);
      }
    }
  }
  if (const nlohmann::json* avg = member(j, {"average_bus_bandwidth", "average_bus_bandwidith"})) {
    bool ok = false;
    const nlohmann::json* bw = member(*avg, {"bandwidth", "bandwidith"});
    const double v = bw ? number_of(*bw, ok) : 0;
    if (ok) c.avg_busbw = v, c.avg_lines = 1, c.complete = true;
  }
  if (const nlohmann::json* errors = member(j, {"errors"}); errors && errors->is_array()) {
    for (const auto& e : *errors) {
      if (!e.is_string() || e.get_ref<const std::string&>().empty()) continue;
      Event ev;
      ev.kind = Event::Kind::error;
      ev.test = c.op;
      ev.text = "nccl-tests error: " + e.get<std::string>();
      ev.from = c.from;
      m.events.push_back(ev);
    }
  }
  const std::string v = string_of(j, "version");
  return "-J JSON" + (v.empty() ? std::string() : " v" + v);
}

std::string read_patch_dialect(const nlohmann::json& j, ImportedCollective& c, PartialMachine& m) {
  const std::string nccl = string_of(j, "version");
  if (int code = nccl_code(nccl)) m.versions.nccl = code;
  const nlohmann::json* bench = member(j, {"benchmark"});
  if (bench && bench->is_array()) {
    for (const auto& entry : *bench) {
      if (!entry.is_object()) continue;
      for (const auto& [key, r] : entry.items()) {
        double bytes = 0;
        bool ok_count = false;
        const nlohmann::json* count = member(r, {"count"});
        if (!parse_number(key, bytes) || !(bytes >= 0 && bytes < 1e18) || !count) continue;
        const double elements = number_of(*count, ok_count);
        if (!ok_count || !(elements >= 0 && elements < 1e18)) continue;
        for (int part = 0; part < 2; ++part) {
          const std::string p = part ? "ip_" : "oop_";
          const nlohmann::json* t = member(r, {(p + "time").c_str()});
          const nlohmann::json* a = member(r, {(p + "algbw").c_str()});
          const nlohmann::json* b = member(r, {(p + "busbw").c_str()});
          const nlohmann::json* e = member(r, {(p + "error").c_str()});
          if (!t || !a || !b) continue;
          CollectiveRow row;
          bool ok_t = false, ok_a = false, ok_b = false, ok_e = false;
          row.time_us = number_of(*t, ok_t);
          row.algbw = number_of(*a, ok_a);
          row.busbw = number_of(*b, ok_b);
          if (!ok_t || !ok_a || !ok_b) continue;
          const double wrong = e ? number_of(*e, ok_e) : 0;
          row.wrong = ok_e ? wrong_count(wrong) : -1;  // "N/A": not checked
          row.bytes = static_cast<uint64_t>(bytes);
          row.count = static_cast<uint64_t>(elements);
          row.type = string_of(r, "type");
          row.in_place = part == 1;
          row.line = c.from.line;
          c.rows.push_back(row);
        }
      }
    }
  }
  // The patch prints no average and no devices: the figures are all there is.
  c.complete = true;
  return "--json (NVIDIA/nccl-tests#318 patch)";
}

}  // namespace

std::string read_nccl_tests_json(const nlohmann::json& j, const Provenance& at, bool cut, PartialMachine& m) {
  ImportedCollective c;
  c.from = at;
  c.from.tool = kNcclTests;
  c.headers = 1;
  const bool patch = string_of(j, "identifier") == "nccl-tests structured output";
  std::string version = patch ? read_patch_dialect(j, c, m) : read_official(j, c, m);
  if (c.rows.empty() && !c.avg_busbw) throw ParseError(at.line, "nccl-tests JSON without any result");
  c.from.version = version;
  if (cut) {
    c.complete = false;
    Event e;
    e.kind = Event::Kind::truncated;
    e.test = c.op;
    e.text = "nccl-tests JSON cut after " + std::to_string(c.rows.empty() ? 0 : c.rows.back().bytes) + " bytes; the complete entries before the cut were read";
    e.from = c.from;
    m.events.push_back(e);
  }
  m.collectives.push_back(std::move(c));
  return version;
}

}  // namespace rigcheck::ingest

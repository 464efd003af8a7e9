// nccl-tests (all eras, from the history of src/common.cu): an "nThread … nGpus …" header, one
// line per rank ("Rank 0 [Group 0] [Pid 1234] on HOST device 0 [0x1b|0000:1b:00] NAME"), a table
// header whose columns differ per collective and era (located by name here), the rows (size,
// count, type, …, then time/algbw/busbw/error-or-#wrong out of place and in place; time in ms
// before 2019, µs after), and a footer ("Out of bounds values", "Avg bus bandwidth"). Markdown
// often eats the leading '#'; it is optional everywhere.

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "rigcheck/ingest/blocks.h"
#include "rigcheck/ingest/parsers.h"

namespace rigcheck::ingest {

namespace {

struct Columns {
  int type = -1;
  int first_time = -1;  // index of the out-of-place "time" column
  bool ms = false;      // 2017-era tables time in ms
  bool error_column = false;
  bool wrong_column = false;
};

bool parse_columns(const std::vector<std::string_view>& tok, Columns& c) {
  for (size_t i = 0; i < tok.size(); ++i) {
    if (tok[i] == "type") c.type = static_cast<int>(i);
    if (tok[i] == "time" && c.first_time < 0) c.first_time = static_cast<int>(i);
    if (tok[i] == "error") c.error_column = true;
    if (tok[i] == "#wrong" || tok[i] == "wrong") c.wrong_column = true;
    if (tok[i] == "res") c.ms = true;
  }
  return c.first_time > 0;
}

// NCCL's version code: 2.18.5 -> 21805 (the 2.9+ encoding, which rigcheck uses everywhere).
int nccl_code(std::string_view v) {
  int major = 0, minor = 0, patch = 0;
  if (std::sscanf(std::string(v).c_str(), "%d.%d.%d", &major, &minor, &patch) < 2) return 0;
  return major * 10000 + minor * 100 + patch;
}

long wrong_value(std::string_view s, bool error_column) {
  double v = 0;
  if (!parse_number(s, v)) return -1;  // "N/A": not checked
  // The pre-2022 "error" column is the largest deviation, not a count: rounding leaves tiny ones.
  if (error_column) return v > 1e-2 ? 1 : 0;
  return static_cast<long>(v);
}

std::string op_from_command(const BlockInput& in) {
  auto find_in = [&](size_t i) -> std::string {
    const std::string_view s = in.lines[i].text();
    size_t at = s.find("_perf");
    if (at == std::string_view::npos) return "";
    size_t b = at;
    while (b > 0 && (std::isalnum(static_cast<unsigned char>(s[b - 1])) || s[b - 1] == '_')) --b;
    return std::string(s.substr(b, at - b));
  };
  for (size_t i = in.begin; i-- > in.context_begin;)
    if (auto op = find_in(i); !op.empty()) return op;
  for (size_t i = in.begin; i < in.end; ++i)
    if (auto op = find_in(i); !op.empty()) return op;
  return "";
}

}  // namespace

std::string parse_nccl_tests(const BlockInput& in, PartialMachine& m) {
  ImportedCollective c;
  c.from.file = in.file;
  c.from.tool = kNcclTests;
  c.from.line = in.lines[in.begin].number;
  Columns cols;
  bool have_columns = false, group = false, domain_bracket = false, failed = false;
  std::string explicit_version, first_host;
  std::set<std::string> hosts, pids;
  uint64_t max_bytes = 0;
  for (size_t i = in.begin; i < in.end; ++i) {
    const std::string_view t = strip_hash(in.lines[i].text());
    const int line = in.lines[i].number;
    auto tok = tokens(t);
    Provenance here = c.from;
    here.line = line;
    if (starts_with(t, "nccl-tests version")) {
      if (tok.size() >= 3) explicit_version = std::string(tok[2]);
      for (auto x : tok)
        if (starts_with(x, "nccl-library=")) m.versions.nccl = std::atoi(std::string(x.substr(13)).c_str());
    } else if (starts_with(t, "nThread ") && contains(t, "nGpus")) {
      ++c.headers;
      for (size_t k = 0; k + 1 < tok.size(); ++k)
        if (tok[k] == "maxBytes") max_bytes = std::strtoull(std::string(tok[k + 1]).c_str(), nullptr, 10);
    } else if (starts_with(t, "Collective test starting:") && tok.size() >= 4) {
      std::string op(tok[3]);
      if (op.size() > 5 && op.compare(op.size() - 5, 5, "_perf") == 0) op.resize(op.size() - 5);
      c.op = op;
    } else if (contains(t, "NCCL version ") && !contains(t, "WARN")) {
      size_t at = t.find("NCCL version ");
      auto v = tokens(t.substr(at + 13));
      if (!v.empty()) m.versions.nccl = nccl_code(v[0]);
    } else if (!tok.empty() && tok[0] == "Rank" && tok.size() >= 6) {
      // Rank r [Group g] [Pid p] on HOST device d [bus] NAME
      auto find = [&](std::string_view key) {
        for (size_t k = 0; k + 1 < tok.size(); ++k)
          if (tok[k] == key) return static_cast<int>(k);
        return -1;
      };
      const int on = find("on"), dev = find("device"), pid = find("Pid");
      if (on < 0 || dev < 0 || dev + 1 >= static_cast<int>(tok.size())) continue;
      group |= find("Group") >= 0;
      ++c.ranks;
      const std::string host(tok[on + 1]);
      hosts.insert(host);
      if (pid >= 0) pids.insert(std::string(tok[pid + 1]));
      if (first_host.empty()) first_host = host;
      long d = 0, rank = 0;
      if (!parse_int(tok[dev + 1], d) || d < 0 || d > 4096) continue;
      size_t name_from = dev + 2;
      std::string bus, bdf;
      if (name_from < tok.size() && tok[name_from].front() == '[') {
        bus = std::string(tok[name_from].substr(1, tok[name_from].size() - 2));
        ++name_from;
        if (starts_with(bus, "0x")) bdf = "0000:" + std::string(bus.substr(2)) + ":00.0";
        else if (std::count(bus.begin(), bus.end(), ':') == 2) bdf = bus + ".0", domain_bracket = true;
        // [0x00] is what nccl-tests prints when it could not read the bus (older CUDA): no address.
        if (bus == "0x00") bdf.clear();
      }
      std::string name;
      for (size_t k = name_from; k < tok.size(); ++k) name += (name.empty() ? "" : " ") + std::string(tok[k]);
      RankDevice rd;
      rd.rank = parse_int(tok[1], rank) ? static_cast<int>(rank) : c.ranks - 1;
      rd.host = host;
      rd.device = static_cast<int>(d);
      rd.bus = bus;
      rd.name = name;
      note_rank_device(m, c, rd, bdf, here);
      // The machine model is one host's: the first host's GPUs; the others are per host in m.hosts.
      if (host != first_host) continue;
      ImportedGpu& g = gpu_at(m, static_cast<int>(d));
      if (!bdf.empty() && !g.address) g.address = topology::PciAddress::parse(bdf);
      name_gpu(m, static_cast<int>(d), name, here);
    } else if (std::find(tok.begin(), tok.end(), "busbw") != tok.end() && std::find(tok.begin(), tok.end(), "algbw") != tok.end()) {
      Columns fresh;
      if (parse_columns(tok, fresh)) cols = fresh, have_columns = true;
    } else if (!tok.empty() && tok[0] == "(B)") {
      cols.ms = cols.ms || contains(t, "(ms)");
    } else if (contains(t, "Avg bus bandwidth")) {
      ++c.avg_lines;
      c.complete = true;
      double v = 0;
      if (!tok.empty() && parse_number(tok.back(), v)) c.avg_busbw = v;
    } else if (note_failure_line(std::string(t), c.op, here, m)) {
      failed = true;
    } else if (have_columns && tok.size() >= static_cast<size_t>(cols.first_time + 4)) {
      long size = 0, count = 0;
      if (!parse_int(tok[0], size) || !parse_int(tok[1], count) || size < 0) continue;
      for (int part = 0; part < 2; ++part) {
        const size_t at = cols.first_time + 4 * part;
        if (at + 2 >= tok.size()) break;  // no in-place half (a cut line, or -c 0)
        CollectiveRow r;
        r.bytes = static_cast<uint64_t>(size);
        r.count = static_cast<uint64_t>(count);
        r.type = cols.type >= 0 && cols.type < static_cast<int>(tok.size()) ? std::string(tok[cols.type]) : "";
        r.in_place = part == 1;
        double time = 0, algbw = 0, busbw = 0;
        if (!parse_number(tok[at], time) || !parse_number(tok[at + 1], algbw) || !parse_number(tok[at + 2], busbw)) break;
        r.time_us = cols.ms ? time * 1000 : time;
        r.algbw = algbw;
        r.busbw = busbw;
        r.wrong = at + 3 < tok.size() ? wrong_value(tok[at + 3], cols.error_column) : -1;
        r.line = line;
        c.rows.push_back(r);
      }
    }
  }
  if (c.headers == 0 && c.rows.empty()) throw ParseError(c.from.line, "nccl-tests output without its header or any result row");
  c.hosts = static_cast<int>(hosts.size());
  c.one_process = pids.size() <= 1;
  if (c.op.empty()) c.op = op_from_command(in);
  std::string version = explicit_version;
  if (version.empty()) {
    if (cols.ms) version = "2017-2019 format (time in ms)";
    else if (cols.error_column) version = "2019-2022 format (error column)";
    else if (cols.wrong_column) version = group ? "2022-09 or later format (#wrong, Group)" : "2022-08 format (#wrong)";
    if (domain_bracket) version += version.empty() ? "2025 or later format" : ", 2025 device brackets";
  }
  c.from.version = version;
  if (!c.complete && !failed) {
    Event e;
    e.kind = Event::Kind::truncated;
    e.test = c.op;
    e.text = c.rows.empty() ? "nccl-tests stops after its header, before any result"
                            : "nccl-tests stops at " + std::to_string(c.rows.back().bytes) + " bytes" +
                                  (max_bytes ? " of " + std::to_string(max_bytes) : "") + ", without its footer";
    e.from = c.from;
    e.from.line = in.lines[in.end - 1].number;
    m.events.push_back(e);
  }
  m.collectives.push_back(std::move(c));
  return version;
}

}  // namespace rigcheck::ingest

#include "rigcheck/report/report.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "rigcheck/topology/errors.h"
#include "rigcheck/topology/json.h"

namespace rigcheck::report {

using nlohmann::json;

json to_json(const Finding& f) {
  return {{"id", f.id},       {"severity", to_string(f.severity)}, {"title", f.title},          {"evidence", f.evidence},
          {"explanation", f.explanation}, {"fix", f.fix},         {"reference", f.reference}, {"gpus", f.gpus}};
}

std::vector<json> to_json(const std::vector<Finding>& fs) {
  std::vector<json> out;
  for (const auto& f : fs) out.push_back(to_json(f));
  return out;
}

namespace {

int severity_rank(const std::string& s) { return s == "critical" ? 2 : (s == "warning" ? 1 : 0); }

}  // namespace

json merge_findings(const json& findings) {
  json out = json::array();
  std::map<std::string, size_t> at;
  for (const auto& f : findings) {
    const std::string id = f.at("id");
    auto it = at.find(id);
    if (it == at.end()) {
      at[id] = out.size();
      out.push_back(f);
      continue;
    }
    json& into = out[it->second];
    for (const auto& e : f.at("evidence"))
      if (std::find(into["evidence"].begin(), into["evidence"].end(), e) == into["evidence"].end()) into["evidence"].push_back(e);
    std::set<int> gpus(into.at("gpus").begin(), into.at("gpus").end());
    for (const auto& g : f.at("gpus")) gpus.insert(g.get<int>());
    into["gpus"] = std::vector<int>(gpus.begin(), gpus.end());
    if (severity_rank(f.at("severity")) > severity_rank(into.at("severity"))) into["severity"] = f.at("severity");
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const json& a, const json& b) { return severity_rank(a.at("severity")) > severity_rank(b.at("severity")); });
  return out;
}

std::map<std::string, std::string> whitelisted_environment(char** env) {
  std::map<std::string, std::string> out;
  for (char** e = env; e && *e; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq == std::string::npos) continue;
    std::string key = kv.substr(0, eq);
    if (key.rfind("NCCL_", 0) == 0 || key.rfind("CUDA_", 0) == 0) out[key] = kv.substr(eq + 1);
  }
  return out;
}

json new_report(const ReportHeader& h, const topology::Topology& t, const std::vector<Finding>& static_findings) {
  json r;
  r["schema"] = kReportSchema;
  r["mode"] = h.mode;
  r["status"] = "partial";
  r["tool"] = {{"name", "rigcheck"}, {"version", "0.1.0"}};
  r["created_utc"] = h.created_utc;
  r["command_line"] = h.command_line;
  r["environment"] = h.environment;
  r["host"] = {{"hostname", h.hostname.empty() ? json(nullptr) : json(h.hostname)}};
  r["rig"] = h.rig.empty() ? json(nullptr) : json(h.rig);
  const auto& s = t.system;
  r["versions"] = {{"nvidia_driver", s.nvidia_driver}, {"cuda_driver", s.cuda_driver_version},
                   {"cuda_runtime", s.cuda_runtime_version}, {"nccl", s.nccl_version}, {"kernel", s.kernel}};
  r["topology"] = topology::to_json(t);
  r["findings"] = merge_findings(to_json(static_findings));
  r["tests"] = json::array();
  r["measurements"] = json::array();
  r["collectives"] = json::array();
  r["measurement_note"] = "";
  update_verdict(r);
  return r;
}

void update_verdict(json& r) {
  int counts[3] = {0, 0, 0};
  for (const auto& f : r.at("findings")) ++counts[severity_rank(f.at("severity"))];
  const char* worst = counts[2] ? "critical" : (counts[1] ? "warning" : "ok");
  std::string summary = counts[2] ? std::to_string(counts[2]) + " critical problem(s) to fix"
                        : counts[1] ? std::to_string(counts[1]) + " warning(s), nothing critical"
                                    : "no problem found";
  r["verdict"] = {{"worst", worst}, {"critical", counts[2]}, {"warning", counts[1]}, {"info", counts[0]}, {"summary", summary}};
}

void check_report(const json& j, const std::string& name) {
  if (!j.is_object() || !j.contains("schema"))
    throw topology::InputError(name + " is not a rigcheck report (no \"schema\" field)");
  if (j.at("schema") != kReportSchema)
    throw topology::InputError(name + " has schema " + j.at("schema").dump() + ", not \"" + kReportSchema + "\"");
  for (const char* key : {"mode", "status", "findings", "measurements", "topology", "verdict", "tests"})
    if (!j.contains(key)) throw topology::InputError(name + " lacks the \"" + std::string(key) + "\" field of a report");
}

json load_report(const std::string& path) {
  json j = topology::read_json_file(path);
  check_report(j, path);
  return j;
}

void write_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw topology::InputError("cannot write " + tmp + ": " + std::strerror(errno));
    out << text;
    out.flush();
    if (!out) throw std::runtime_error("writing " + tmp + " failed");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    throw std::runtime_error("cannot rename " + tmp + " to " + path + ": " + std::strerror(errno));
}

}  // namespace rigcheck::report

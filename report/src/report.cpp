#include "rigcheck/report/report.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <set>
#include <sstream>
#include <system_error>

#include "rigcheck/report/redact.h"
#include "schema_check.h"
#include "rigcheck/topology/errors.h"
#include "rigcheck/topology/json.h"
#include "rigcheck/topology/utf8.h"

namespace rigcheck::report {

using diagnosis::Finding;
using diagnosis::worst;

using nlohmann::json;

json to_json(const Finding& f) {
  json j = {{"id", f.id},       {"severity", to_string(f.severity)}, {"title", f.title},          {"evidence", f.evidence},
            {"explanation", f.explanation}, {"fix", f.fix},         {"reference", f.reference}, {"gpus", f.gpus}};
  if (!f.details.empty()) j["details"] = f.details;  // only where the evidence summarises
  return j;
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
    if (f.contains("details"))
      for (const auto& d : f.at("details")) into["details"].push_back(d);
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
  return redaction_enabled() ? redact_environment(out) : out;
}

json new_report(const ReportHeader& h, const topology::Topology& t, const std::vector<Finding>& static_findings) {
  json r;
  r["schema"] = kReportSchema;
  r["mode"] = h.mode;
  r["status"] = "partial";
  r["tool"] = {{"name", "rigcheck"}, {"version", "0.1.0"}};
  r["created_utc"] = h.created_utc;
  // Arguments, environment values and the hostname are bytes, not UTF-8; the report must be.
  std::vector<std::string> argv;
  for (const auto& a : h.command_line) argv.push_back(topology::valid_utf8(a));
  std::map<std::string, std::string> env;
  for (const auto& [k, v] : h.environment) env[topology::valid_utf8(k)] = topology::valid_utf8(v);
  r["command_line"] = redaction_enabled() ? redact_command_line(argv) : argv;
  r["environment"] = env;
  r["host"] = {{"hostname", h.hostname.empty() ? json(nullptr) : json(topology::valid_utf8(h.hostname))}};
  r["rig"] = h.rig.empty() ? json(nullptr) : json(topology::valid_utf8(h.rig));
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
  // The renderers index into every part of it: what they would trip over is refused here.
  if (auto why = detail::schema_violation(j, "report"))
    throw topology::InputError(name + " does not follow the report schema (schemas/report.schema.json) " + *why);
}

json load_report(const std::string& path) {
  json j = topology::read_json_file(path);
  check_report(j, path);
  return j;
}

namespace {

// An open file descriptor, closed on every path out.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// A fresh, unguessable temporary next to `path` (same file system, so rename is atomic), created
// with O_EXCL | O_NOFOLLOW: nothing planted there beforehand (a symbolic link to a file the user
// can write, as with the old predictable NAME.tmp) is followed or truncated.
std::string create_temporary(const std::filesystem::path& path, Fd& f) {
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::random_device rd;
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string suffix;
    for (int i = 0; i < 12; ++i) suffix += kChars[rd() % (sizeof kChars - 1)];
    const std::string tmp = (dir / ("." + path.filename().string() + "." + suffix + ".tmp")).string();
    f.fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (f.fd >= 0) return tmp;
    if (errno != EEXIST) throw topology::InputError("cannot write in " + dir.string() + ": " + std::strerror(errno));
  }
  throw topology::InputError("cannot create a temporary file in " + dir.string());
}

void write_all(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::system_error(errno, std::generic_category());
    done += static_cast<size_t>(n);
  }
}

}  // namespace

void write_atomically(const std::string& path, const std::string& text) {
  Fd f;
  const std::string tmp = create_temporary(path, f);
  try {
    write_all(f.fd, text);
    // On disk before the rename, or a crash could leave an empty file under the final name.
    if (::fsync(f.fd) != 0) throw std::system_error(errno, std::generic_category());
    const int fd = f.fd;
    f.fd = -1;
    if (::close(fd) != 0) throw std::system_error(errno, std::generic_category());
    // rename replaces a symbolic link at `path` itself; it never writes through one.
    if (std::rename(tmp.c_str(), path.c_str()) != 0) throw std::system_error(errno, std::generic_category());
  } catch (const std::system_error& e) {
    ::unlink(tmp.c_str());
    // A full disk or a read-only directory: the user's to fix, said in their terms.
    throw topology::InputError("cannot write " + path + ": " + std::strerror(e.code().value()));
  }
}

}  // namespace rigcheck::report

#include "rigcheck/app/import_job.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "rigcheck/ingest/importer.h"
#include "rigcheck/ingest/machine_model.h"
#include "rigcheck/report/import_report.h"
#include "rigcheck/diagnosis/import_rules.h"
#include "rigcheck/topology/errors.h"
#include "sha256.h"

namespace rigcheck::app {

using diagnosis::worst;

namespace {

// `expected`: the file's size when known, so a big paste is read into one buffer of its size
// rather than a doubling one (a 100 MB paste would otherwise sit in 128 MiB, after copies).
std::string read_all(std::istream& in, const std::string& name, uint64_t expected = 0) {
  std::string text;
  if (expected > 0 && expected <= kMaxInputBytes) text.reserve(static_cast<size_t>(expected));
  char buf[1 << 16];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<size_t>(in.gcount()));
    if (text.size() > kMaxInputBytes)
      throw topology::InputError(name + " is larger than " + std::to_string(kMaxInputBytes >> 20) + " MiB; no tool output is that big");
  }
  return text;
}

std::string read_input(const std::string& name, std::istream& stdin_stream) {
  if (name == "-") return read_all(stdin_stream, "stdin");
  std::ifstream f(name, std::ios::binary);
  if (!f) throw topology::InputError("cannot read " + name + ": " + std::strerror(errno));
  std::error_code ec;
  const uintmax_t size = std::filesystem::is_regular_file(name, ec) ? std::filesystem::file_size(name, ec) : 0;
  return read_all(f, name, ec ? 0 : size);
}

std::string now_utc() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

ImportOutcome run_import(const ImportConfig& config, std::istream& stdin_stream) {
  if (config.files.empty()) throw topology::InputError("rigcheck import needs at least one file (or - for stdin)");
  ingest::PartialMachine m;
  for (const auto& name : config.files) {
    ingest::NamedText in;
    in.name = name;
    in.text = read_input(name, stdin_stream);
    in.sha256 = sha256_hex(in.text);
    ingest::import_text(in, m);
  }
  const ingest::MachineModel mm = ingest::machine_model(m);
  const diagnosis::ImportedRun run = diagnosis::judge_imported(m, mm);
  const std::vector<diagnosis::Finding> findings = diagnosis::import_findings(m, mm, run);
  ImportOutcome out;
  out.report = report::imported_report(m, mm, run, findings, {now_utc(), config.command_line});
  out.worst = diagnosis::worst(findings);
  for (const auto& f : findings) out.any_finding_above_info |= f.severity != diagnosis::Severity::info;
  return out;
}

}  // namespace rigcheck::app

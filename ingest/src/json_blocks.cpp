// JSON documents among pasted lines, and which tool wrote one. Tools' JSON is told apart by its
// own keys: nvbandwidth nests everything under "nvbandwidth"; nccl-tests -J has "results" with
// "nccl_version" or "config"; the community patch says "nccl-tests structured output"; rigcheck
// reports say their schema.

#include "json_doc.h"
#include "json_readers.h"
#include "rigcheck/ingest/blocks.h"
#include "rigcheck/ingest/parsers.h"

namespace rigcheck::ingest {

std::string json_document_tool(const nlohmann::json& j) {
  if (!j.is_object()) return "";
  if (j.contains("nvbandwidth")) return kNvbandwidthJson;
  if (auto s = j.find("schema"); s != j.end() && s->is_string() && s->get<std::string>().rfind("rigcheck.report/", 0) == 0) return kRigcheckReport;
  // A cut report lacks its "schema" (keys are sorted; it comes late) but starts with the
  // command line that made it.
  if (auto cl = j.find("command_line"); j.contains("backend") && cl != j.end() && cl->is_array() && !cl->empty() && (*cl)[0].is_string()) {
    const std::string& argv0 = (*cl)[0].get_ref<const std::string&>();
    if (argv0.size() >= 8 && argv0.compare(argv0.size() - 8, 8, "rigcheck") == 0) return kRigcheckReport;
  }
  if (auto id = j.find("identifier"); id != j.end() && id->is_string() && id->get<std::string>() == "nccl-tests structured output") return kNcclTestsJson;
  if (j.contains("results") && (j.contains("nccl_version") || j.contains("config"))) return kNcclTestsJson;
  return "";
}

std::string parse_json_block(const BlockInput& in, PartialMachine& m) {
  std::string text;
  for (size_t i = in.begin; i < in.end; ++i) text.append(in.lines[i].text()).push_back('\n');
  Provenance at;
  at.file = in.file;
  at.line = in.lines[in.begin].number;
  // The document starts at the line's first brace (a prompt or log prefix may precede it).
  const size_t brace = text.find('{');
  bool cut = false;
  const nlohmann::json j = brace == std::string::npos ? nlohmann::json() : parse_json_salvaging(std::string_view(text).substr(brace), cut);
  const std::string tool = j.is_discarded() ? "" : json_document_tool(j);
  if (tool == kNcclTestsJson) {
    std::string version = read_nccl_tests_json(j, at, cut, m);
    // The JSON may not name the collective (the #318 patch does not): the command above it does.
    for (size_t i = in.begin; i-- > (in.begin > 12 ? in.begin - 12 : 0) && m.collectives.back().op.empty();)
      for (auto tok : tokens(in.lines[i].text()))
        if (std::string op = op_from_program(std::string(tok)); !op.empty()) {
          m.collectives.back().op = op;
          break;
        }
    return version;
  }
  if (tool == kRigcheckReport) return read_rigcheck_report(j, at, cut, m);
  throw ParseError(at.line, "a JSON document that does not parse or is of no known tool (cut before its first complete entry?)");
}

}  // namespace rigcheck::ingest

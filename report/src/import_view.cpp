// The part of a report only imports have: the IMPORTED banner, the inputs with the tool and
// version of each block, what the inputs cannot show and what the expectations assume.

#include "rigcheck/report/import_report.h"

namespace rigcheck::report {

void render_import_preamble(const nlohmann::json& r, std::ostream& out, bool md) {
  const char* item = md ? "- " : "  ";
  out << (md ? "> **IMPORTED**: " : "IMPORTED: ")
      << "rigcheck did not measure this machine; every figure below was read from another tool's output.\n"
      << (md ? "\n**Inputs**\n\n" : "Inputs:\n");
  for (const auto& f : r.value("inputs", nlohmann::json::array())) {
    out << item << f.at("name").get<std::string>() << " (sha256 " << f.at("sha256").get<std::string>().substr(0, 16) << "…, "
        << f.at("bytes").get<uint64_t>() << " bytes):";
    for (const auto& b : f.at("blocks")) {
      const std::string v = b.at("version");
      out << " " << b.at("tool").get<std::string>() << (v.empty() ? "" : " [" + v + "]") << " lines " << b.at("first_line").get<int>()
          << "-" << b.at("last_line").get<int>() << ";";
    }
    out << "\n";
  }
  const auto& imp = r.value("imported", nlohmann::json::object());
  auto list = [&](const char* key, const char* title) {
    if (!imp.contains(key) || imp.at(key).empty()) return;
    out << (md ? std::string("\n**") + title + "**\n\n" : std::string(title) + ":\n");
    for (const auto& s : imp.at(key)) out << item << s.get<std::string>() << "\n";
  };
  list("cannot_show", "What the inputs cannot show");
  list("assumptions", "Assumed for the expectations");
  out << "\n";
}

}  // namespace rigcheck::report

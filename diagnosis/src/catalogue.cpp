#include "rigcheck/diagnosis/catalogue.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <stdexcept>

namespace rigcheck::embedded {
extern const char* const findings_json;
}

namespace rigcheck::diagnosis {

namespace {

using nlohmann::json;

constexpr const char* kSchema = "rigcheck.finding-catalogue/1";
const std::set<std::string> kRaisers = {"doctor", "run", "bench", "import"};
const std::set<std::string> kEntryKeys = {"id", "severity", "severities", "title", "explanation", "fix",
                                          "reference", "when", "raised_by", "inputs", "variants"};
const std::set<std::string> kVariantKeys = {"severity", "severities", "title", "explanation", "fix", "reference", "when", "inputs"};

[[noreturn]] void fail(const std::string& where, const std::string& what) {
  throw std::logic_error("findings catalogue: " + where + ": " + what);
}

// The {name} placeholders of `text`; a brace that opens no well-formed placeholder is an error,
// so a typo cannot reach a report as literal braces.
std::set<std::string> placeholders(const std::string& text, const std::string& where) {
  std::set<std::string> names;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '}') fail(where, "a '}' without '{'");
    if (text[i] != '{') continue;
    const size_t end = text.find('}', i);
    if (end == std::string::npos) fail(where, "a '{' without '}'");
    const std::string name = text.substr(i + 1, end - i - 1);
    const bool word = !name.empty() && name[0] >= 'a' && name[0] <= 'z' &&
                      std::all_of(name.begin(), name.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
    if (!word) fail(where, "placeholder {" + name + "} is not a lower-case name");
    names.insert(name);
    i = end;
  }
  return names;
}

// References are public: URLs only, several separated by ", ".
void check_reference(const std::string& ref, const std::string& where) {
  size_t start = 0;
  while (start <= ref.size()) {
    const size_t end = std::min(ref.find(", ", start), ref.size());
    const std::string url = ref.substr(start, end - start);
    if (url.rfind("https://", 0) != 0 || url.find(' ') != std::string::npos) fail(where, "reference '" + url + "' is not an https URL");
    start = end + 2;
  }
}

std::string text_field(const json& j, const char* key, const std::string& where, bool required) {
  if (!j.contains(key)) {
    if (required) fail(where, std::string("no ") + key);
    return "";
  }
  if (!j.at(key).is_string() || j.at(key).get<std::string>().empty()) fail(where, std::string(key) + " must be a non-empty string");
  return j.at(key).get<std::string>();
}

std::vector<std::string> string_list(const json& j, const char* key, const std::string& where) {
  std::vector<std::string> out;
  if (!j.contains(key)) return out;
  if (!j.at(key).is_array() || j.at(key).empty()) fail(where, std::string(key) + " must be a non-empty list");
  for (const auto& s : j.at(key)) {
    if (!s.is_string() || s.get<std::string>().empty()) fail(where, std::string(key) + " must hold non-empty strings");
    out.push_back(s.get<std::string>());
  }
  return out;
}

Wording parse_wording(const json& j, const std::string& where, bool required) {
  Wording w;
  if (j.contains("severity")) {
    if (!j.at("severity").is_string()) fail(where, "severity must be a string");
    w.severity = severity_from_string(j.at("severity").get<std::string>());
  }
  if (required && !w.severity) fail(where, "no severity");
  for (const auto& s : string_list(j, "severities", where)) {
    const Severity sev = severity_from_string(s);
    if (std::count(w.severities.begin(), w.severities.end(), sev)) fail(where, "severity " + s + " listed twice");
    w.severities.push_back(sev);
  }
  if (!w.severities.empty()) {
    if (w.severities.size() < 2) fail(where, "severities lists one severity: leave it out");
    if (!w.severity || !std::count(w.severities.begin(), w.severities.end(), *w.severity))
      fail(where, "severities without its default severity among them");
  }
  w.title = text_field(j, "title", where, required);
  w.explanation = text_field(j, "explanation", where, required);
  w.fix = text_field(j, "fix", where, required);
  w.reference = text_field(j, "reference", where, required);
  w.when = text_field(j, "when", where, required);
  w.inputs = string_list(j, "inputs", where);
  if (!w.reference.empty()) check_reference(w.reference, where);
  for (const auto* text : {&w.title, &w.explanation, &w.fix, &w.when}) placeholders(*text, where);
  if (!placeholders(w.reference, where).empty() || !placeholders(w.when, where).empty())
    fail(where, "reference and when take no placeholders");
  return w;
}

void check_keys(const json& j, const std::set<std::string>& allowed, const std::string& where) {
  for (const auto& [key, value] : j.items())
    if (!allowed.count(key)) fail(where, "unknown key '" + key + "'");
}

CatalogueEntry parse_entry(const json& j, size_t index) {
  if (!j.is_object()) fail("findings[" + std::to_string(index) + "]", "not an object");
  CatalogueEntry e;
  e.id = text_field(j, "id", "findings[" + std::to_string(index) + "]", true);
  const std::string where = "'" + e.id + "'";
  static const std::regex id_form("[a-z0-9]+(-[a-z0-9]+)*");
  if (!std::regex_match(e.id, id_form)) fail(where, "id is not lower-case words joined by '-'");
  check_keys(j, kEntryKeys, where);
  e.wording = parse_wording(j, where, true);
  if (e.wording.severities.empty()) e.wording.severities = {*e.wording.severity};
  e.raised_by = string_list(j, "raised_by", where);
  if (e.raised_by.empty()) fail(where, "no raised_by");
  for (const auto& r : e.raised_by)
    if (!kRaisers.count(r)) fail(where, "raised_by '" + r + "' is not one of doctor, run, bench, import");
  const bool by_import = std::count(e.raised_by.begin(), e.raised_by.end(), "import") > 0;
  if (!e.wording.inputs.empty() && !by_import) fail(where, "inputs without raised_by import");
  if (j.contains("variants")) {
    if (!j.at("variants").is_object() || j.at("variants").empty()) fail(where, "variants must be a non-empty object");
    for (const auto& [name, v] : j.at("variants").items()) {
      const std::string vwhere = where + " variant '" + name + "'";
      if (!v.is_object()) fail(vwhere, "not an object");
      check_keys(v, kVariantKeys, vwhere);
      Wording w = parse_wording(v, vwhere, false);
      const auto& allowed = w.severities.empty() ? e.wording.severities : w.severities;
      if (w.severity && !std::count(allowed.begin(), allowed.end(), *w.severity)) fail(vwhere, "severity not among its severities");
      if (!w.severities.empty() && !w.severity) fail(vwhere, "severities without its own default severity");
      if (kRaisers.count(name) && !std::count(e.raised_by.begin(), e.raised_by.end(), name))
        fail(vwhere, "a raiser's wording for an entry it does not raise");
      if (!w.inputs.empty() && name != "import") fail(vwhere, "inputs outside the import wording");
      e.variants.emplace(name, std::move(w));
    }
  }
  return e;
}

const CatalogueEntry& entry_of(std::string_view id) {
  const CatalogueEntry* e = find_catalogue_entry(id);
  if (!e) throw std::logic_error("finding id '" + std::string(id) + "' is not in the findings catalogue");
  return *e;
}

// `text` with every {name} replaced by its value; the names must be exactly those of `params`.
std::string fill(const std::string& text, const Params& params) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    const size_t open = text.find('{', i);
    if (open == std::string::npos) break;
    const size_t close = text.find('}', open);
    out += text.substr(i, open - i);
    out += params.find(text.substr(open + 1, close - open - 1))->second;
    i = close + 1;
  }
  return out + text.substr(std::min(i, text.size()));
}

Finding build(const CatalogueEntry& e, const Wording& w, const Params& params, std::vector<std::string> evidence,
              std::vector<int> gpus) {
  std::set<std::string> wanted;
  for (const auto* text : {&w.title, &w.explanation, &w.fix})
    for (const auto& n : placeholders(*text, e.id)) wanted.insert(n);
  for (const auto& n : wanted)
    if (!params.count(n)) throw std::logic_error("finding '" + e.id + "': no value for {" + n + "}");
  for (const auto& [name, value] : params)
    if (!wanted.count(name)) throw std::logic_error("finding '" + e.id + "': a value for {" + name + "}, which its text does not have");
  Finding f;
  f.id = e.id;
  f.severity = *w.severity;
  f.title = fill(w.title, params);
  f.evidence = std::move(evidence);
  f.explanation = fill(w.explanation, params);
  f.fix = fill(w.fix, params);
  f.reference = w.reference;
  f.gpus = std::move(gpus);
  return f;
}

}  // namespace

Severity severity_from_string(std::string_view s) {
  if (s == "info") return Severity::info;
  if (s == "warning") return Severity::warning;
  if (s == "critical") return Severity::critical;
  throw std::logic_error("'" + std::string(s) + "' is not a severity (info, warning, critical)");
}

Wording CatalogueEntry::resolved(std::string_view variant) const {
  if (variant.empty()) return wording;
  const auto it = variants.find(variant);
  if (it == variants.end()) throw std::logic_error("finding '" + id + "' has no variant '" + std::string(variant) + "'");
  Wording w = it->second;
  if (!w.severity) w.severity = wording.severity;
  if (w.severities.empty()) w.severities = wording.severities;
  for (auto [field, own] : {std::pair{&w.title, &wording.title}, {&w.explanation, &wording.explanation}, {&w.fix, &wording.fix},
                            {&w.reference, &wording.reference}, {&w.when, &wording.when}})
    if (field->empty()) *field = *own;
  if (w.inputs.empty()) w.inputs = wording.inputs;
  return w;
}

std::vector<CatalogueEntry> parse_catalogue(std::string_view json_text) {
  json doc;
  try {
    doc = json::parse(json_text);
  } catch (const json::exception& e) {
    fail("document", e.what());
  }
  if (!doc.is_object() || doc.value("schema", "") != kSchema) fail("document", std::string("schema is not ") + kSchema);
  if (!doc.contains("findings") || !doc.at("findings").is_array()) fail("document", "no findings list");
  std::vector<CatalogueEntry> out;
  std::set<std::string> ids;
  for (size_t i = 0; i < doc.at("findings").size(); ++i) {
    CatalogueEntry e = parse_entry(doc.at("findings")[i], i);
    if (!ids.insert(e.id).second) fail("'" + e.id + "'", "listed twice");
    out.push_back(std::move(e));
  }
  return out;
}

const std::vector<CatalogueEntry>& catalogue() {
  static const std::vector<CatalogueEntry> entries = parse_catalogue(rigcheck::embedded::findings_json);
  return entries;
}

const CatalogueEntry* find_catalogue_entry(std::string_view id) {
  for (const auto& e : catalogue())
    if (e.id == id) return &e;
  return nullptr;
}

Finding make_finding(std::string_view id, const Params& params, std::vector<std::string> evidence, std::vector<int> gpus) {
  const CatalogueEntry& e = entry_of(id);
  return build(e, e.wording, params, std::move(evidence), std::move(gpus));
}

Finding make_finding_variant(std::string_view id, std::string_view variant, const Params& params, std::vector<std::string> evidence,
                             std::vector<int> gpus) {
  const CatalogueEntry& e = entry_of(id);
  if (variant.empty()) throw std::logic_error("finding '" + e.id + "': an empty variant name");
  return build(e, e.resolved(variant), params, std::move(evidence), std::move(gpus));
}

bool CatalogueEntry::allows(Severity s) const {
  if (std::count(wording.severities.begin(), wording.severities.end(), s)) return true;
  for (const auto& [name, w] : variants)
    if (std::count(w.severities.begin(), w.severities.end(), s)) return true;
  return false;
}

void set_severity(Finding& f, Severity severity) {
  const CatalogueEntry& e = entry_of(f.id);
  if (!e.allows(severity)) throw std::logic_error("finding '" + e.id + "' may not be " + to_string(severity));
  f.severity = severity;
}

}  // namespace rigcheck::diagnosis

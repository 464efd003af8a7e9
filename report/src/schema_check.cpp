#include "schema_check.h"

#include <cmath>
#include <map>
#include <regex>

namespace rigcheck::embedded {
extern const char* const report_schema_json;
extern const char* const topology_schema_json;
extern const char* const bench_schema_json;
}  // namespace rigcheck::embedded

namespace rigcheck::report::detail {
namespace {

using nlohmann::json;

const std::map<std::string, json>& schemas() {
  static const std::map<std::string, json> all = {
      {"report.schema.json", json::parse(embedded::report_schema_json)},
      {"topology.schema.json", json::parse(embedded::topology_schema_json)},
      {"bench.schema.json", json::parse(embedded::bench_schema_json)}};
  return all;
}

// The patterns of these schemas are short anchored expressions; a value longer than any they
// describe is a violation without running std::regex on it (it recurses per character).
constexpr size_t kMaxPatternInput = 256;

class Checker {
 public:
  std::optional<std::string> check(const json& v, const json& s, const std::string& file, const std::string& at) {
    if (s.is_boolean()) return s.get<bool>() ? std::nullopt : fail(at, "no value is allowed here");
    if (!s.is_object()) return std::nullopt;
    if (s.contains("$ref")) {
      auto [ref_file, ref] = resolve(s.at("$ref").get<std::string>(), file);
      if (!ref) return fail(at, "the schema refers to " + s.at("$ref").get<std::string>() + ", which does not exist");
      if (auto e = check(v, *ref, ref_file, at)) return e;
    }
    if (s.contains("type") && !type_ok(v, s.at("type"))) return fail(at, "expected " + s.at("type").dump() + ", found " + kind(v));
    if (s.contains("const") && v != s.at("const")) return fail(at, "expected " + s.at("const").dump());
    if (s.contains("enum")) {
      bool found = false;
      for (const auto& e : s.at("enum")) found = found || v == e;
      if (!found) return fail(at, "expected one of " + s.at("enum").dump() + ", found " + short_dump(v));
    }
    if (v.is_number()) {
      const double d = v.get<double>();
      if (s.contains("minimum") && d < s.at("minimum").get<double>()) return fail(at, "below the minimum " + s.at("minimum").dump());
      if (s.contains("maximum") && d > s.at("maximum").get<double>()) return fail(at, "above the maximum " + s.at("maximum").dump());
    }
    if (v.is_string() && s.contains("pattern")) {
      const std::string& text = v.get_ref<const std::string&>();
      if (text.size() > kMaxPatternInput || !std::regex_search(text, std::regex(s.at("pattern").get<std::string>())))
        return fail(at, "\"" + text.substr(0, 40) + "\" does not match " + s.at("pattern").get<std::string>());
    }
    if (v.is_array()) {
      if (s.contains("minItems") && v.size() < s.at("minItems").get<size_t>()) return fail(at, "too few items");
      if (s.contains("maxItems") && v.size() > s.at("maxItems").get<size_t>()) return fail(at, "too many items");
      if (s.contains("items"))
        for (size_t i = 0; i < v.size(); ++i)
          if (auto e = check(v[i], s.at("items"), file, at + "/" + std::to_string(i))) return e;
    }
    if (v.is_object()) {
      if (auto e = check_object(v, s, file, at)) return e;
    }
    return check_combinations(v, s, file, at);
  }

 private:
  std::optional<std::string> check_object(const json& v, const json& s, const std::string& file, const std::string& at) {
    if (s.contains("required"))
      for (const auto& key : s.at("required"))
        if (!v.contains(key.get<std::string>())) return fail(at, "lacks the required field \"" + key.get<std::string>() + "\"");
    const json empty = json::object();
    const json& props = s.contains("properties") ? s.at("properties") : empty;
    for (const auto& [key, value] : v.items()) {
      const std::string here = at + "/" + key;
      if (s.contains("propertyNames"))
        if (auto e = check(json(key), s.at("propertyNames"), file, here)) return e;
      if (props.contains(key)) {
        if (auto e = check(value, props.at(key), file, here)) return e;
      } else if (s.contains("additionalProperties")) {
        const json& extra = s.at("additionalProperties");
        if (extra.is_boolean() && !extra.get<bool>()) return fail(at, "has a field \"" + key + "\" the schema does not allow");
        if (auto e = check(value, extra, file, here)) return e;
      }
    }
    return std::nullopt;
  }

  std::optional<std::string> check_combinations(const json& v, const json& s, const std::string& file, const std::string& at) {
    if (s.contains("allOf"))
      for (const auto& sub : s.at("allOf"))
        if (auto e = check(v, sub, file, at)) return e;
    for (const char* key : {"anyOf", "oneOf"}) {
      if (!s.contains(key)) continue;
      int matched = 0;
      std::optional<std::string> first;
      for (const auto& sub : s.at(key)) {
        auto e = check(v, sub, file, at);
        if (!e) ++matched;
        else if (!first) first = e;
      }
      if (matched == 0) return first;
      if (std::string(key) == "oneOf" && matched > 1) return fail(at, "matches more than one alternative of the schema");
    }
    if (s.contains("if")) {
      const bool holds = !check(v, s.at("if"), file, at);
      const char* branch = holds ? "then" : "else";
      if (s.contains(branch))
        if (auto e = check(v, s.at(branch), file, at)) return e;
    }
    return std::nullopt;
  }

  // "#/$defs/x" in `file`, "other.schema.json", or "other.schema.json#/$defs/x".
  std::pair<std::string, const json*> resolve(const std::string& ref, const std::string& file) {
    const size_t hash = ref.find('#');
    const std::string target = hash == 0 ? file : ref.substr(0, hash);
    auto it = schemas().find(target);
    if (it == schemas().end()) return {target, nullptr};
    const json* node = &it->second;
    if (hash != std::string::npos && hash + 1 < ref.size()) {
      const json::json_pointer pointer(ref.substr(hash + 1));
      if (!node->contains(pointer)) return {target, nullptr};
      node = &node->at(pointer);
    }
    return {target, node};
  }

  static bool one_type_ok(const json& v, const std::string& t) {
    if (t == "object") return v.is_object();
    if (t == "array") return v.is_array();
    if (t == "string") return v.is_string();
    if (t == "boolean") return v.is_boolean();
    if (t == "null") return v.is_null();
    if (t == "number") return v.is_number();
    if (t == "integer") return v.is_number_integer() || (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>());
    return false;
  }
  static bool type_ok(const json& v, const json& type) {
    if (type.is_string()) return one_type_ok(v, type.get<std::string>());
    for (const auto& t : type)
      if (one_type_ok(v, t.get<std::string>())) return true;
    return false;
  }
  static std::string kind(const json& v) { return v.is_null() ? "null" : v.type_name(); }
  static std::string short_dump(const json& v) {
    std::string d = v.dump();
    return d.size() > 40 ? d.substr(0, 40) + "..." : d;
  }
  static std::optional<std::string> fail(const std::string& at, const std::string& what) {
    return "at " + (at.empty() ? std::string("/") : at) + ": " + what;
  }
};

}  // namespace

std::optional<std::string> schema_violation(const json& doc, const std::string& schema) {
  const std::string file = schema + ".schema.json";
  auto it = schemas().find(file);
  if (it == schemas().end()) return "no schema " + schema;
  return Checker().check(doc, it->second, file, "");
}

}  // namespace rigcheck::report::detail

#pragma once
// Checking a document against rigcheck's own JSON Schemas (schemas/*.schema.json, embedded). A
// report is read back from a file anyone may have edited; the renderers index into it, so a
// field of the wrong type deep inside must be refused on read with a message that says where,
// not surface as an exception in the middle of printing. Internal.
//
// It implements what those schemas use: type, const, enum, required, properties,
// additionalProperties, propertyNames, items, minimum, maximum, minItems, maxItems, pattern,
// allOf, anyOf, oneOf, if/then/else, and $ref within and between the three schemas.

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace rigcheck::report::detail {

// "report", "topology" or "bench". The first violation as "at /path: what", or nothing.
std::optional<std::string> schema_violation(const nlohmann::json& doc, const std::string& schema);

}  // namespace rigcheck::report::detail

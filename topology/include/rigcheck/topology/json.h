#pragma once
// JSON round trip of the topology model (schema "rigcheck.topology/1"), lossless: reading what
// was written gives an equal Topology. The JSON Schema is schemas/topology.schema.json.

#include <string>

#include <nlohmann/json.hpp>

#include "rigcheck/topology/model.h"

namespace rigcheck::topology {

nlohmann::json to_json(const Topology& t);

// Throws InputError with a one-sentence reason for JSON that is malformed, of another schema,
// or missing required fields.
Topology topology_from_json(const nlohmann::json& j);
// One port of a NIC, as to_json writes it under nics[].ports[] (the report's network view reads
// them). nlohmann::json::exception when a field is missing.
NicPort nic_port_from_json(const nlohmann::json& j);
Topology parse_topology_json(const std::string& text);

// JSON text from outside: InputError when it is not valid JSON or nests deeper than any file
// rigcheck reads (a depth limit, since copying and printing recurse per level).
nlohmann::json parse_json_text(const std::string& text);

// Any JSON file rigcheck reads (topology, rig, report), through read_input_file (regular files
// only, size-capped). InputError: "cannot read PATH: why" or "PATH: the file is not valid JSON".
nlohmann::json read_json_file(const std::string& path);

}  // namespace rigcheck::topology

#pragma once
// Readers of parsed JSON documents, shared by the block parsers (a document pasted among other
// lines) and the importer (a whole input that is one document: a -J file, a rigcheck report).

#include <string>

#include <nlohmann/json.hpp>

#include "rigcheck/ingest/model.h"

namespace rigcheck::ingest {

// kNcclTestsJson, kNvbandwidthJson, kRigcheckReport, or "" for a document of no known tool.
std::string json_document_tool(const nlohmann::json& j);

// Each adds what the document states to `m` and returns the version it detected; `at` names the
// file and the document's first line; `cut` says the document was truncated (and repaired).
// ParseError when the document is of the tool but holds nothing usable.
std::string read_nccl_tests_json(const nlohmann::json& j, const Provenance& at, bool cut, PartialMachine& m);
// "all_reduce" from "./build/all_reduce_perf" (or the #318 patch's "nccl_alltoall_perf"); "" for
// anything else.
std::string op_from_program(std::string program);

std::string read_rigcheck_report(const nlohmann::json& j, const Provenance& at, bool cut, PartialMachine& m);

}  // namespace rigcheck::ingest

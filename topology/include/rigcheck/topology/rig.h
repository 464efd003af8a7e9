#pragma once
// Rig files (schema "rigcheck.rig/1"): a compact, hand-writable description of a machine (root
// ports, switches, slots, GPUs by model, NVLink, system state) that expands to the Topology
// model, with named variants (JSON Patch, RFC 6902, applied to the base) such as "riser at Gen1"
// or "driver 545", each listing the finding ids it must raise. results/rigs/ holds the seed rigs;
// `--simulate` and `doctor --from-json` read them (`--variant NAME`).

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rigcheck/topology/model.h"

namespace rigcheck::topology {

inline constexpr const char* kRigSchema = "rigcheck.rig/1";

struct RigVariant {
  std::string name;
  std::string description;
  nlohmann::json patch = nlohmann::json::array();  // JSON Patch operations on the base
  std::vector<std::string> expect;                 // finding ids this variant must raise
};

struct Rig {
  std::string name;
  std::string description;
  std::string source;
  nlohmann::json base;                  // the whole file; variants patch it
  std::vector<std::string> inherent;    // finding ids every variant raises (the hardware's nature)
  std::vector<RigVariant> variants;     // the first is the healthy one
};

// The rigcheck build the rig assumes (for the doctor's "can this build run here" check).
struct RigBuild {
  std::vector<int> cuda_architectures;
  int cuda_toolkit_major = 0;
};

bool is_rig(const nlohmann::json& j);
Rig parse_rig(const nlohmann::json& j);  // InputError when malformed
const RigVariant& find_variant(const Rig& rig, const std::string& name);  // "" = the first

// The variant's machine. Throws InputError for a malformed rig or an unknown variant.
Topology expand_rig(const Rig& rig, const std::string& variant);
std::optional<RigBuild> rig_build(const Rig& rig, const std::string& variant);

// A machine read from a file: a topology JSON, or a rig file's variant and the build it assumes.
struct MachineFile {
  Topology topology;
  std::optional<RigBuild> build;
};

// Reads a topology JSON or a rig file (then `variant` selects; "" = the first).
MachineFile load_machine(const std::string& path, const std::string& variant = "");
Topology load_machine_file(const std::string& path, const std::string& variant = "");

}  // namespace rigcheck::topology

#pragma once
// What rigcheck knows about NVIDIA GPU models, keyed by PCI device id. The table is
// topology/data/gpu_models.json, embedded at build time; every figure there names its source, and
// a figure no source gives is left out of its row (here: 0, or nvlink_known false), never guessed.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace rigcheck::topology {

struct GpuModel {
  uint16_t device_id = 0;
  std::string name;                // the PCI ID Repository's name ("GeForce RTX 3090")
  std::string architecture;        // "Ampere"; empty when unknown
  std::string compute_capability;  // "8.6"; empty when unknown
  int memory_gib = 0;              // the marketed size in GB; 0 when no source gives one figure for the id
  int pcie_gen = 0;                // the card's own PCIe generation; 0 when unknown
  int pcie_width = 0;              // and width; 0 when unknown
  bool nvlink_known = true;        // false: no source says whether the card has NVLink or how many links
  int nvlink_version = 0;          // 0: no NVLink (or unknown, see nvlink_known)
  int nvlink_links = 0;
  double nvlink_gbps_per_link = 0;  // one direction
  bool p2p_over_pcie = true;        // stock driver allows PCIe P2P (false for GeForce)
  // "sxm": a module on an HGX/DGX baseboard, always wired by NVLink there; "" when the row does
  // not say (most names say it: "A100 SXM4 80GB"; is_sxm reads both).
  std::string form_factor;
  // Where each figure comes from, by field group: "name", "compute_capability", "memory", "pcie",
  // "nvlink", "p2p"; the text of the reference (a URL and what it is).
  std::map<std::string, std::string> sources;
};

// An SXM module: the row's form_factor, or "SXM" in its name.
bool is_sxm(const GpuModel& m);

// nullptr when the model is not in the table.
const GpuModel* find_gpu_model(uint16_t device_id);

// Every row of the embedded table, in device id order.
const std::vector<GpuModel>& all_gpu_models();

// The name the system's PCI ID database (pci.ids, through libpci) gives an NVIDIA device id
// ("GB202 [GeForce RTX 5090]"); empty when the database has no such id or cannot be read.
std::string pci_ids_device_name(uint16_t device_id);

// What to call a GPU whose id is not in the table: "NVIDIA Corporation " and pci.ids' name, or
// "NVIDIA device 10de:2bff" when pci.ids does not know it either.
std::string unknown_gpu_name(uint16_t device_id);

// One-direction GB/s of one NVLink link of this version; 0 when unknown.
double nvlink_gbps_per_link(int version);

// Parses and checks a table in the format of gpu_models.json: every row has a device id, a name
// and the P2P policy; every figure present has a source; a source names a reference the document
// has (or is itself a URL); device ids are unique. Throws std::runtime_error naming the row.
std::vector<GpuModel> parse_gpu_models(std::string_view json_text);

}  // namespace rigcheck::topology

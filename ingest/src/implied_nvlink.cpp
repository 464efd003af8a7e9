#include "implied_nvlink.h"

#include <algorithm>

#include "rigcheck/ingest/gpu_names.h"
#include "rigcheck/topology/gpu_models.h"

namespace rigcheck::ingest {

namespace {

// What an input says about the links between GPUs: topo -m's pair classes and NV# cells, or
// NCCL's topology XML (its <nvlink> children, or their absence).
bool links_stated(const PartialMachine& m) {
  return !m.xml_gpus.empty() || m.reported_topology ||
         std::any_of(m.pairs.begin(), m.pairs.end(), [](const ImportedPair& p) { return p.path.has_value() || p.nvlink_links > 0; });
}

}  // namespace

ImpliedNvlink implied_nvlink(const PartialMachine& m) {
  ImpliedNvlink out;
  if (m.gpus.size() < 2 || links_stated(m)) return out;
  const topology::GpuModel* model = model_for_name(m.gpus.front().name);
  bool any_sxm = false, same = true;
  for (const auto& g : m.gpus) {
    const topology::GpuModel* mine = model_for_name(g.name);
    any_sxm |= mine && topology::is_sxm(*mine) && mine->nvlink_links > 0;
    same &= mine == model;
  }
  if (!any_sxm) return out;  // PCIe cards: the PCIe model
  const std::string who = std::to_string(m.gpus.size()) + "x " + (same ? model->name : std::string("mixed SXM GPUs"));
  if (same && m.gpus.size() == 8 && model->nvlink_version >= 3) {
    out.nvswitch = true;
    out.links = model->nvlink_links;
    out.assumption = "NVLink " + std::to_string(model->nvlink_version) + ", " + std::to_string(model->nvlink_links) +
                     " links per GPU to NVSwitch, as on the 8-GPU HGX boards of the " + model->name + "; no input states the links";
    return out;
  }
  out.unknown = who + ": SXM parts are linked by NVLink, but no input shows how (only 8-GPU boards of NVLink 3 and later are all on NVSwitch)";
  return out;
}

}  // namespace rigcheck::ingest

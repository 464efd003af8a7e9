// Which PCIe links a measured host<->GPU figure fits. Healthy pinned copy-engine copies reach
// about 80-90 % of a link's theoretical one-direction rate (Gen3 x16 ~12-13, Gen4 x16 ~24-27,
// Gen5 x16 ~53-57 GB/s in public nvbandwidth and bandwidthTest outputs, e.g. NVIDIA/nvbandwidth#15,
// #42); 70-95 % is taken as "fits".

#include "rigcheck/diagnosis/import_rules.h"
#include "rigcheck/topology/pcie_link.h"

namespace rigcheck::diagnosis {

std::vector<topology::LinkState> link_classes_for(double gbps) {
  std::vector<topology::LinkState> out;
  if (gbps <= 0) return out;
  for (int gen = 1; gen <= 6; ++gen)
    for (int width : {1, 4, 8, 16}) {
      if (gen == 6 && width < 8) continue;  // no GPU link is a narrow Gen6 one
      const double theory = topology::pcie_gbps(gen, width);
      if (theory > 0 && gbps >= 0.70 * theory && gbps <= 0.95 * theory) out.push_back({gen, width});
    }
  return out;
}

}  // namespace rigcheck::diagnosis

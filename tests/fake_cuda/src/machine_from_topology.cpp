// A fake machine shaped like a topology: the same GPUs in the same order, peer access where the
// simulator's fabric grants it (NVLink, NVSwitch, or P2P allowed on the PCIe path), host copy
// rates from each GPU's host-path bottleneck.

#include <algorithm>

#include "rigcheck/fabric/fabric.h"
#include "rigcheck/fake_cuda/fake_cuda.h"
#include "rigcheck/topology/model.h"

namespace rigcheck::fake_cuda {

MachineSpec machine_from_topology(const topology::Topology& t) {
  MachineSpec m;
  const fabric::Fabric fabric(t, fabric::default_fabric_constants());
  for (const auto& g : t.gpus) {
    DeviceSpec d;
    d.name = g.name.empty() ? "NVIDIA GPU" : g.name;
    d.pci_bus_id = g.address.str();
    if (auto dot = g.compute_capability.find('.'); dot != std::string::npos) {
      d.major = std::stoi(g.compute_capability.substr(0, dot));
      d.minor = std::stoi(g.compute_capability.substr(dot + 1));
    }
    d.kernel_image = d.major * 10 + d.minor >= 75;
    if (g.memory_bytes) d.memory_bytes = g.memory_bytes;
    if (g.host_path.gbps > 0) {
      d.h2d_gbps = g.host_path.gbps * 0.82;
      d.d2h_gbps = g.host_path.gbps * 0.86;
    }
    m.devices.push_back(d);
  }
  const size_t n = t.gpus.size();
  m.can_access.assign(n, std::vector<bool>(n, false));
  for (size_t a = 0; a < n; ++a)
    for (size_t b = 0; b < n; ++b)
      if (a != b)
        m.can_access[a][b] = fabric.peer_path(static_cast<int>(a), static_cast<int>(b), fabric::Engine::sm) == fabric::PeerPath::direct;
  for (const auto& p : t.pairs) m.nvswitch = m.nvswitch || p.via_nvswitch;
  return m;
}

}  // namespace rigcheck::fake_cuda

#pragma once
// NVML loaded with dlopen (no header or library at build time): just the queries rigcheck uses.
// The library is $RIGCHECK_NVML_LIBRARY when set (tests point it at a fake), else the driver's
// libnvidia-ml.so.1. Declarations and enum values follow nvml.h (NVML_API_VERSION 13) as NVIDIA
// documents them: https://docs.nvidia.com/deploy/nvml-api/

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rigcheck/topology/pci_address.h"
#include "rigcheck/topology/pcie_link.h"

namespace rigcheck::topology {

class Nvml {
 public:
  using Device = void*;  // nvmlDevice_t

  // nullptr with `why_not` set when the library is missing, lacks functions, or will not start.
  static std::unique_ptr<Nvml> open(std::string& why_not);
  ~Nvml();
  Nvml(const Nvml&) = delete;
  Nvml& operator=(const Nvml&) = delete;

  std::string driver_version() const;
  std::vector<Device> devices() const;
  std::optional<PciAddress> address(Device d) const;
  std::string name(Device d) const;
  std::optional<int> gpu_max_link_gen(Device d) const;  // the GPU's own capability
  LinkState current_link(Device d) const;               // {0,0} when not readable
  std::optional<unsigned> sm_clock_mhz(Device d) const;
  std::optional<uint64_t> clock_event_reasons(Device d) const;  // throttle reasons bit mask
  std::optional<unsigned> pcie_replay_counter(Device d) const;

  struct NvLink {
    unsigned link = 0;
    std::optional<PciAddress> remote;
    std::string remote_kind;  // "gpu", "nvswitch", "cpu"
    int generation = 0;       // NVLink generation (1..6), 0 unknown
  };
  std::vector<NvLink> active_nvlinks(Device d) const;
  // NVML P2P status for reads between two GPUs: "OK", "GPU_NOT_SUPPORTED", …; "" when unknown.
  std::string p2p_read_status(Device a, Device b) const;
  // Readable names of the throttle reason bits ("sw_power_cap", "hw_thermal", …).
  static std::vector<std::string> describe_clock_event_reasons(uint64_t mask);

 private:
  Nvml() = default;
  struct Api;
  std::unique_ptr<Api> api_;
  void* lib_ = nullptr;
  bool initialized_ = false;  // nvmlInit succeeded, so nvmlShutdown is owed
};

}  // namespace rigcheck::topology

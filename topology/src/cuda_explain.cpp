#include "rigcheck/topology/cuda_status.h"
#include "rigcheck/topology/versions.h"

namespace rigcheck::topology {

// Error codes from cuda_runtime_api's cudaError enum (stable across CUDA 11-13); see
// research note §6 for what each means on a machine without a GPU.
std::string explain_cuda_device_count_error(int error, int driver_version, const std::string& error_name) {
  constexpr int kInsufficientDriver = 35, kStubLibrary = 34, kNoDevice = 100;
  if (error == kInsufficientDriver && driver_version == 0)
    return "no NVIDIA driver is loaded (" + error_name + "): no NVIDIA GPU can be used on this machine; "
           "install the NVIDIA driver to measure";
  if (error == kInsufficientDriver)
    return "the NVIDIA driver (CUDA " + cuda_version_text(driver_version) +
           ") is older than the CUDA runtime rigcheck was built with (" + error_name + "); update the driver";
  if (error == kStubLibrary)
    return "the CUDA toolkit's stub libcuda.so was loaded instead of the driver's (" + error_name +
           "); remove the toolkit's lib/stubs directory from LD_LIBRARY_PATH";
  if (error == kNoDevice) return "the NVIDIA driver is loaded but reports no GPU (" + error_name + ")";
  return "CUDA cannot list devices (" + error_name + ")";
}

}  // namespace rigcheck::topology

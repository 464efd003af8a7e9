#pragma once
// The one line rigcheck says when CUDA cannot list devices, shared by every command that uses CUDA.

#include <string>

namespace rigcheck::topology {

// `error` is cudaGetDeviceCount's cudaError_t value, `driver_version` what cudaDriverGetVersion
// returned (0 when no driver is loaded), `error_name` cudaGetErrorName's text.
std::string explain_cuda_device_count_error(int error, int driver_version, const std::string& error_name);

}  // namespace rigcheck::topology

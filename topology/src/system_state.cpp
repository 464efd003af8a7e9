#include "rigcheck/topology/system_state.h"

#include <algorithm>
#include <regex>
#include <sstream>

namespace rigcheck::topology {
namespace {

std::vector<std::string> split_words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

std::map<std::string, std::string> parse_params(const std::string& text) {
  std::map<std::string, std::string> params;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    params[line.substr(0, colon)] = value;
  }
  return params;
}

}  // namespace

IommuMode decide_iommu_mode(bool iommu_units_present, const std::vector<std::string>& gpu_group_types,
                            const std::string& cmdline, std::vector<std::string>& evidence) {
  bool cmd_off = false, cmd_pt = false;
  for (const auto& w : split_words(cmdline)) {
    if (w == "intel_iommu=off" || w == "amd_iommu=off" || w == "iommu=off") cmd_off = true;
    if (w == "iommu=pt" || w == "iommu.passthrough=1" || w == "amd_iommu=pt") cmd_pt = true;
    if (w.rfind("iommu", 0) == 0 || w.rfind("intel_iommu", 0) == 0 || w.rfind("amd_iommu", 0) == 0)
      evidence.push_back("kernel command line: " + w);
  }
  evidence.push_back(std::string("/sys/class/iommu: ") + (iommu_units_present ? "IOMMU units present" : "no IOMMU unit"));
  for (const auto& type : gpu_group_types) evidence.push_back("GPU IOMMU group type: " + type);

  if (!iommu_units_present) return IommuMode::off;
  // The GPUs' DMA domains decide: "identity" is passthrough, "DMA"/"DMA-FQ" translate addresses.
  bool any_translated = false, all_identity = !gpu_group_types.empty();
  for (const auto& type : gpu_group_types) {
    if (type == "DMA" || type == "DMA-FQ") any_translated = true;
    if (type != "identity") all_identity = false;
  }
  if (any_translated) return IommuMode::translated;
  if (all_identity) return IommuMode::passthrough;
  if (cmd_off) return IommuMode::off;
  if (cmd_pt) return IommuMode::passthrough;
  return IommuMode::translated;  // units present, nothing says passthrough: the kernel default translates
}

bool is_nccl_network_variable(const std::string& name) {
  return std::any_of(std::begin(kNcclNetworkVariables), std::end(kNcclNetworkVariables),
                     [&](const char* v) { return name == v; });
}

std::map<std::string, std::string> nccl_network_environment(const std::function<const char*(const char*)>& getenv) {
  std::map<std::string, std::string> out;
  for (const char* name : kNcclNetworkVariables)
    if (const char* v = getenv(name)) out[name] = v;
  return out;
}

std::string parse_nvidia_driver_version(const std::string& text) {
  // "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.135  <date>" or
  // "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.95.05  Release Build …"
  static const std::regex re(R"(NVRM version:.*?Module(?: for \S+)?\s+([0-9]+(?:\.[0-9]+)+))");
  // The first line only, and not all of it: std::regex recurses per character, and a fake root's
  // file can hold anything.
  const std::string line = text.substr(0, std::min<size_t>(text.find('\n'), 512));
  std::smatch m;
  if (std::regex_search(line, m, re)) return m[1];
  return {};
}

void read_system_state(const RootedFs& fs, const std::vector<int>& gpu_iommu_groups, SystemState& out) {
  out.kernel = fs.read_text("/proc/sys/kernel/osrelease").value_or("");
  out.cmdline = diagnostic_kernel_parameters(fs.read_text("/proc/cmdline").value_or(""));

  std::vector<std::string> types;
  for (int g : gpu_iommu_groups) {
    if (g < 0) continue;
    if (auto type = fs.read_text("/sys/kernel/iommu_groups/" + std::to_string(g) + "/type")) types.push_back(*type);
  }
  bool units = !fs.list_dir("/sys/class/iommu").empty();
  out.iommu_evidence.clear();
  out.iommu = decide_iommu_mode(units, types, out.cmdline, out.iommu_evidence);

  if (auto v = fs.read_text("/proc/driver/nvidia/version")) out.nvidia_driver = parse_nvidia_driver_version(*v);
  if (out.nvidia_driver.empty()) out.nvidia_driver = fs.read_text("/sys/module/nvidia/version").value_or("");
  if (auto p = fs.read_text("/proc/driver/nvidia/params")) out.nvidia_params = parse_params(*p);
}

}  // namespace rigcheck::topology

#include "rigcheck/topology/discover.h"

#include <unistd.h>

#include <cstdlib>
#include <map>

#include "assemble.h"
#include "cuda_source.h"
#include "hwloc_source.h"
#include "nic_source.h"
#include "nvml_source.h"
#include "pci_config_source.h"
#include "rigcheck/topology/paths.h"
#include "rigcheck/topology/system_state.h"
#include "rigcheck/topology/utf8.h"
#include "rigcheck/topology/validate.h"
#include "sysfs_source.h"

namespace rigcheck::topology {
namespace {

void note_gpu_findings(detail::DiscoveryState& state) {
  Topology& t = state.topo;
  if (t.gpus.empty())
    state.note("gpu", "no NVIDIA GPU found in the PCI tree" +
                          std::string(t.source.kind == "xml" ? " of this XML" : " of this machine"));
}

// Whether config space past the 64-byte header was readable (it is not for non-root readers).
void note_config_access(detail::DiscoveryState& state) {
  Topology& t = state.topo;
  const bool read_config = t.source.kind != "xml" || !t.source.pci_dump.empty();
  if (!read_config) {
    state.note("pci", "hwloc XML without a PCI dump: link generation/width and ACS unknown (hwloc keeps only the "
                      "current link speed); add --pci-dump FILE from `sudo lspci -xxxx`");
    return;
  }
  int restricted = 0, read = 0;
  for (const auto& n : t.pci) {
    if (!n.address || n.config_bytes == 0) continue;
    ++read;
    restricted += n.config_bytes < 256;
  }
  if (read == 0) return;  // nothing was read at all; apply_pci_config said why
  t.system.config_space_restricted = restricted > 0;
  if (restricted > 0)
    state.note("pci", "only 64 bytes of PCI config space are readable (not root): ACS and link capability registers "
                      "not read, link values come from sysfs; run as root (sudo) for the ACS checks");
}

// Every string discovery read from the machine or a file, made valid UTF-8 (JSON needs it).
void make_text_valid(Topology& t) {
  const auto fix = [](std::string& s) { s = valid_utf8(s); };
  fix(t.machine);
  for (auto& p : t.packages) fix(p.model), fix(p.cpus);
  for (auto& n : t.numa_nodes) fix(n.cpus);
  for (auto& n : t.pci) fix(n.name), fix(n.driver), fix(n.local_cpus);
  for (auto& g : t.gpus) fix(g.name), fix(g.local_cpus), fix(g.architecture), fix(g.compute_capability);
  SystemState& s = t.system;
  fix(s.kernel), fix(s.cmdline), fix(s.nvidia_driver);
  for (auto& e : s.iommu_evidence) fix(e);
  std::map<std::string, std::string> params;
  for (const auto& [k, v] : s.nvidia_params) params[valid_utf8(k)] = valid_utf8(v);
  s.nvidia_params = std::move(params);
  for (auto& nic : t.nics) {
    fix(nic.name), fix(nic.model);
    for (auto& d : nic.netdevs) fix(d);
    for (auto& p : nic.ports) fix(p.state), fix(p.phys_state), fix(p.link_layer), fix(p.rate_text), fix(p.netdev);
  }
  for (auto& e : s.gpudirect_rdma.evidence) fix(e);
  std::map<std::string, std::string> env;
  for (const auto& [k, v] : s.nccl_network_env) env[valid_utf8(k)] = valid_utf8(v);
  s.nccl_network_env = std::move(env);
  for (auto& n : t.notes) fix(n.message);
}

}  // namespace

Topology discover(const DiscoveryOptions& options) {
  detail::DiscoveryState state;
  Topology& t = state.topo;
  const bool from_xml = !options.xml.empty();
  const bool live = !from_xml && options.fsroot.empty();
  t.source.kind = from_xml ? "xml" : (live ? "live" : "fsroot");
  t.source.xml = options.xml;
  t.source.pci_dump = options.pci_dump;
  t.source.fsroot = options.fsroot;

  detail::load_hwloc({options.xml, from_xml ? std::string() : options.fsroot}, state);

  // Config space: a dump when given, else sysfs of the machine (or fake root) we describe.
  std::optional<RootedFs> fs;
  if (!from_xml) fs.emplace(options.fsroot);
  if (!options.pci_dump.empty()) detail::apply_pci_config({options.pci_dump, {}}, state);
  else if (fs) detail::apply_pci_config({{}, fs->root()}, state);
  if (fs) detail::apply_sysfs(*fs, state);

  detail::classify_bridges(state);
  detail::assemble_links(state);
  detail::collect_gpus(state, fs);
  if (fs) detail::collect_nics(*fs, state);
  else detail::nics_from_hwloc(state);

  if (fs) {
    std::vector<int> groups;
    for (const auto& g : t.gpus) groups.push_back(t.pci[g.node].iommu_group);
    read_system_state(*fs, groups, t.system);
    t.system.gpudirect_rdma =
        detail::read_gpudirect_rdma(*fs, t.system, fs->read_text("/proc/driver/nvidia/version").value_or(""));
  }
  // The user's NCCL network variables describe this machine only when it is the one described.
  if (live) t.system.nccl_network_env = nccl_network_environment([](const char* name) { return std::getenv(name); });
  if (live) {
    t.system.root = ::geteuid() == 0;
    if (options.query_nvml) detail::apply_nvml(state);
  } else if (!from_xml) {
    // NVML and CUDA describe this machine, not the fake one; an NVML named explicitly
    // (RIGCHECK_NVML_LIBRARY, e.g. a test's fake) is taken to describe the fake root.
    const char* nvml = std::getenv("RIGCHECK_NVML_LIBRARY");
    if (options.query_nvml && nvml && *nvml) detail::apply_nvml(state);
    state.note("cuda", "fake root " + options.fsroot + ": CUDA describes this machine, not the fake one, so it was not queried");
  }
  detail::attach_nvlinks(state);
  check_gpu_count(t.gpus.size());  // before the pairs, whose number is the square
  compute_paths(t);
  if (live && options.query_cuda) detail::apply_cuda(state);
  note_config_access(state);
  note_gpu_findings(state);
  make_text_valid(t);
  validate_topology(t);
  return t;
}

}  // namespace rigcheck::topology

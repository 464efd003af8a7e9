#include "hwloc_source.h"

#include <hwloc.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <type_traits>

#include "rigcheck/topology/errors.h"
#include "rigcheck/topology/input_file.h"

namespace rigcheck::topology::detail {
namespace {

// Sets environment variables for the duration of one hwloc load and restores them after:
// hwloc 2.x has no fsroot API, it reads HWLOC_FSROOT/HWLOC_COMPONENTS at load time.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) ::setenv(name_, old_->c_str(), 1);
    else ::unsetenv(name_);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

struct TopologyDeleter {
  void operator()(hwloc_topology* t) const { hwloc_topology_destroy(t); }
};
using TopologyPtr = std::unique_ptr<hwloc_topology, TopologyDeleter>;

std::string cpulist(hwloc_const_bitmap_t set) {
  if (!set || hwloc_bitmap_iszero(set)) return {};
  char* s = nullptr;
  if (hwloc_bitmap_list_asprintf(&s, set) < 0 || !s) return {};
  std::string out(s);
  std::free(s);
  return out;
}

std::vector<int> bitmap_indexes(hwloc_const_bitmap_t set) {
  std::vector<int> out;
  if (!set) return out;
  for (int i = hwloc_bitmap_first(set); i != -1; i = hwloc_bitmap_next(set, i)) out.push_back(i);
  return out;
}

std::string info(hwloc_obj_t obj, const char* name) {
  const char* v = hwloc_obj_get_info_by_name(obj, name);
  return v ? v : "";
}

int package_of(hwloc_topology_t t, hwloc_obj_t obj) {
  if (obj->type == HWLOC_OBJ_PACKAGE) return static_cast<int>(obj->os_index);
  hwloc_obj_t p = hwloc_get_ancestor_obj_by_type(t, HWLOC_OBJ_PACKAGE, obj);
  return p ? static_cast<int>(p->os_index) : -1;
}

// A bridge's upstream type. hwloc's XML import stores whatever number the file holds in this enum
// (bridge_type="2-1"), and loading an enum with no such enumerator is undefined behaviour, so the
// raw value is read and checked first.
hwloc_obj_bridge_type_e upstream_type(hwloc_obj_t obj) {
  std::underlying_type_t<hwloc_obj_bridge_type_e> raw = 0;
  static_assert(sizeof raw == sizeof obj->attr->bridge.upstream_type);
  std::memcpy(&raw, &obj->attr->bridge.upstream_type, sizeof raw);
  if (raw != HWLOC_OBJ_BRIDGE_HOST && raw != HWLOC_OBJ_BRIDGE_PCI)
    throw InputError("has a bridge of unknown type " + std::to_string(raw) + " (hwloc knows 0, host, and 1, PCI)");
  return static_cast<hwloc_obj_bridge_type_e>(raw);
}

class PciTreeBuilder {
 public:
  PciTreeBuilder(hwloc_topology_t t, DiscoveryState& state) : t_(t), state_(state) {}

  void walk_cpu_side(hwloc_obj_t obj) {
    for (hwloc_obj_t io = obj->io_first_child; io; io = io->next_sibling) walk_io(io, -1, obj);
    for (hwloc_obj_t c = obj->first_child; c; c = c->next_sibling) walk_cpu_side(c);
  }

  std::map<hwloc_obj_t, int> osdev_owner;  // OS device (nvmlN, cudaN) -> PCI node of its device
  std::map<hwloc_obj_t, int> node_of;      // hwloc PCI object -> PCI node

 private:
  void walk_io(hwloc_obj_t obj, int parent, hwloc_obj_t attach) {
    int id = parent;
    if (obj->type == HWLOC_OBJ_BRIDGE || obj->type == HWLOC_OBJ_PCI_DEVICE) {
      id = add_node(obj, parent, attach);
    } else if (obj->type == HWLOC_OBJ_OS_DEVICE) {
      if (parent >= 0) {
        osdev_owner[obj] = parent;
        record_network(obj, parent);
      }
      return;
    }
    for (hwloc_obj_t c = obj->io_first_child; c; c = c->next_sibling) walk_io(c, id, attach);
  }

  // hwloc's Linux backend names each RDMA port's state "Port<N>State" (the number of the sysfs
  // state file, 4 = ACTIVE).
  void record_network(hwloc_obj_t obj, int parent) {
    const auto type = obj->attr->osdev.type;
    if (type != HWLOC_OBJ_OSDEV_OPENFABRICS && type != HWLOC_OBJ_OSDEV_NETWORK) return;
    RawOsNic nic;
    nic.node = parent;
    nic.name = obj->name ? obj->name : "";
    nic.rdma = type == HWLOC_OBJ_OSDEV_OPENFABRICS;
    for (unsigned i = 0; i < obj->infos_count; ++i) {
      if (!obj->infos[i].name || !obj->infos[i].value) continue;
      const std::string key = obj->infos[i].name;
      if (key.size() < 10 || key.rfind("Port", 0) != 0 || !key.ends_with("State")) continue;
      const std::string digits = key.substr(4, key.size() - 9);
      if (digits.size() > 3 || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) continue;
      char* end = nullptr;
      const long state = std::strtol(obj->infos[i].value, &end, 10);
      if (end != obj->infos[i].value && state >= 0 && state < 16)
        nic.port_states.emplace_back(std::stoi(digits), static_cast<int>(state));
    }
    if (!nic.name.empty()) state_.os_nics.push_back(std::move(nic));
  }

  int add_node(hwloc_obj_t obj, int parent, hwloc_obj_t attach) {
    PciNode n;
    NodeRegisters regs;
    n.id = static_cast<int>(state_.topo.pci.size());
    n.parent = parent;
    const bool host_bridge = obj->type == HWLOC_OBJ_BRIDGE && upstream_type(obj) == HWLOC_OBJ_BRIDGE_HOST;
    if (host_bridge) {
      n.kind = PciKind::host_bridge;
      n.domain = obj->attr->bridge.downstream.pci.domain;
      n.secondary_bus = obj->attr->bridge.downstream.pci.secondary_bus;
      n.subordinate_bus = obj->attr->bridge.downstream.pci.subordinate_bus;
      n.package = package_of(t_, attach);
      n.numa_nodes = bitmap_indexes(attach->nodeset);
      n.local_cpus = cpulist(attach->cpuset);
    } else {
      // For PCI-upstream bridges the upstream attributes alias attr->pcidev.
      const hwloc_obj_attr_u::hwloc_pcidev_attr_s& pci = obj->type == HWLOC_OBJ_BRIDGE ? obj->attr->bridge.upstream.pci : obj->attr->pcidev;
      n.kind = obj->type == HWLOC_OBJ_BRIDGE ? PciKind::pci_bridge : PciKind::endpoint;
      n.address = PciAddress{pci.domain, pci.bus, pci.dev, pci.func};
      n.vendor_id = pci.vendor_id;
      n.device_id = pci.device_id;
      n.class_id = pci.class_id;
      std::string vendor = info(obj, "PCIVendor"), device = info(obj, "PCIDevice");
      n.name = vendor.empty() ? device : (device.empty() ? vendor : vendor + " " + device);
      if (pci.linkspeed > 0) {
        regs.hwloc_gbps = pci.linkspeed;
        regs.source = "hwloc";
      }
    }
    state_.topo.pci.push_back(std::move(n));
    state_.regs.push_back(regs);
    node_of[obj] = state_.topo.pci.back().id;
    return state_.topo.pci.back().id;
  }

  hwloc_topology_t t_;
  DiscoveryState& state_;
};

void read_cpu_side(hwloc_topology_t t, Topology& topo) {
  hwloc_obj_t root = hwloc_get_root_obj(t);
  topo.machine = info(root, "DMIProductName");
  if (topo.machine.empty()) topo.machine = info(root, "PlatformModel");
  for (hwloc_obj_t p = nullptr; (p = hwloc_get_next_obj_by_type(t, HWLOC_OBJ_PACKAGE, p));) {
    topo.packages.push_back(Package{static_cast<int>(p->os_index), cpulist(p->cpuset), info(p, "CPUModel")});
  }
  for (hwloc_obj_t n = nullptr; (n = hwloc_get_next_obj_by_type(t, HWLOC_OBJ_NUMANODE, n));) {
    topo.numa_nodes.push_back(NumaNode{static_cast<int>(n->os_index), package_of(t, n), cpulist(n->cpuset),
                                       static_cast<uint64_t>(n->attr->numanode.local_memory)});
  }
}

// hwloc keeps NVLink only as the "NVLinkBandwidth" distance matrix (from its NVML backend or an XML).
void read_nvlink_distances(hwloc_topology_t t, const PciTreeBuilder& tree, DiscoveryState& state) {
  unsigned nr = 1;
  hwloc_distances_s* d = nullptr;
  if (hwloc_distances_get_by_name(t, "NVLinkBandwidth", &nr, &d, 0) != 0 || nr == 0 || !d) return;
  auto gpu_node = [&](hwloc_obj_t o) -> int {
    if (o->type == HWLOC_OBJ_OS_DEVICE) {
      auto it = tree.osdev_owner.find(o);
      return it == tree.osdev_owner.end() ? -1 : it->second;
    }
    return -1;
  };
  for (unsigned i = 0; i < d->nbobjs; ++i) {
    int from = gpu_node(d->objs[i]);
    if (from < 0) continue;
    for (unsigned j = 0; j < d->nbobjs; ++j) {
      uint64_t value = d->values[i * d->nbobjs + j];
      if (i == j || value == 0) continue;
      hwloc_obj_t to = d->objs[j];
      RawNvLink link;
      link.from_node = from;
      link.mbps = static_cast<double>(value);
      if (int g = gpu_node(to); g >= 0) {
        link.to_kind = "gpu";
        link.to_node = g;
      } else if (to->type == HWLOC_OBJ_PCI_DEVICE) {
        auto it = tree.node_of.find(to);
        link.to_kind = "nvswitch";
        link.to_node = it == tree.node_of.end() ? -1 : it->second;
      } else if (to->type == HWLOC_OBJ_PACKAGE) {
        link.to_kind = "cpu";
        link.to_package = static_cast<int>(to->os_index);
      } else {
        continue;
      }
      state.nvlinks.push_back(link);
    }
  }
  hwloc_distances_release(t, d);
}

// Configures a fresh topology the way every load here needs it. Returns false on failure.
bool configure(hwloc_topology_t t) {
  // I/O objects are dropped unless asked for, from XML too (research note §1.1).
  if (hwloc_topology_set_io_types_filter(t, HWLOC_TYPE_FILTER_KEEP_ALL) != 0) return false;
  // Disallowed PUs (cgroups, the UV2000 fixture) would otherwise leave packages with empty cpusets.
  return hwloc_topology_set_flags(t, HWLOC_TOPOLOGY_FLAG_INCLUDE_DISALLOWED) == 0;
}

// What a probe child says about a load, written to a pipe as its last act. A child that dies or
// exits without writing it crashed, whatever its exit status: a crash handler (ASan's, for one)
// ends the process with exit() rather than the signal.
struct ProbeResult {
  enum Stage : int { loaded = 0, source_refused = 1, load_failed = 2 } stage;
  int error;  // errno after the failing call
};

// Points a fresh topology at the XML (held in memory) or, through the environment, at the fake root.
bool set_source(hwloc_topology_t t, const std::string& xml_text) {
  return xml_text.empty() || hwloc_topology_set_xmlbuffer(t, xml_text.c_str(), static_cast<int>(xml_text.size() + 1)) == 0;
}

std::string source_name(const HwlocInput& input) {
  return input.xml.empty() ? (input.fsroot.empty() ? "this machine" : "the fake root " + input.fsroot)
                           : "the XML topology " + input.xml;
}

[[noreturn]] void throw_load_failure(const HwlocInput& input, ProbeResult r) {
  const std::string why = r.error ? std::strerror(r.error) : "invalid or unsupported content";
  if (r.stage == ProbeResult::source_refused)
    throw InputError("hwloc cannot load " + source_name(input) + " (" +
                     (r.error == EINVAL ? std::string("malformed, or not an hwloc XML file") : why) +
                     "; HWLOC_XML_VERBOSE=1 shows the parser's message)");
  if (input.xml.empty() && input.fsroot.empty())
    throw std::runtime_error("hwloc cannot load the topology of this machine (" + why + ")");
  throw InputError("hwloc cannot load " + source_name(input) + " (" + why + ")");
}

ProbeResult load(hwloc_topology_t t, const std::string& xml_text) {
  errno = 0;
  if (!set_source(t, xml_text)) return {ProbeResult::source_refused, errno};
  errno = 0;
  if (hwloc_topology_load(t) != 0) return {ProbeResult::load_failed, errno};
  return {ProbeResult::loaded, 0};
}

// hwloc 2.9 crashes inside its XML import on some malformed files (tests/fixtures/bad/). A user's
// file must not take rigcheck down, so the load is first done in a child process; only a file
// that loaded there is loaded here, and what failed or crashed there is never retried here.
ProbeResult probe_load_in_child(const HwlocInput& input, const std::string& xml_text) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error(std::string("pipe failed: ") + std::strerror(errno));
  // Nothing held in a stream buffer may be written twice, once by each process.
  std::cout.flush(), std::cerr.flush();
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
  if (pid == 0) {
    ::close(fds[0]);
    hwloc_topology_t t = nullptr;
    ProbeResult r{ProbeResult::source_refused, 0};
    if (hwloc_topology_init(&t) == 0 && configure(t)) r = load(t, xml_text);  // HWLOC_FSROOT is inherited
    const bool said = ::write(fds[1], &r, sizeof r) == static_cast<ssize_t>(sizeof r);
    ::_exit(said ? 0 : 1);
  }
  ::close(fds[1]);
  ProbeResult r{};
  size_t got = 0;
  while (got < sizeof r) {
    ssize_t n = ::read(fds[0], reinterpret_cast<char*>(&r) + got, sizeof r - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw std::runtime_error(std::string("waitpid failed: ") + std::strerror(errno));
  }
  const bool completed = got == sizeof r && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (!completed) {
    const std::string how = WIFSIGNALED(status) ? "signal " + std::to_string(WTERMSIG(status))
                                                : "exit status " + std::to_string(WEXITSTATUS(status));
    throw InputError("hwloc crashed (" + how + ") while loading " + source_name(input) + "; the file is malformed");
  }
  return r;
}

}  // namespace

void load_hwloc(const HwlocInput& input, DiscoveryState& state) {
  // Read here, bounded, and handed to hwloc as a buffer: hwloc would read a FIFO or /dev/zero forever.
  const std::string xml_text = input.xml.empty() ? std::string() : read_input_file(input.xml, kXmlInput);
  if (!input.xml.empty() && xml_text.empty()) throw InputError("the XML topology " + input.xml + " is empty");
  hwloc_topology_t raw = nullptr;
  if (hwloc_topology_init(&raw) != 0) throw std::runtime_error("hwloc_topology_init failed");
  TopologyPtr t(raw);
  if (!configure(raw)) throw std::runtime_error("hwloc refused the I/O filter or topology flags");

  std::optional<ScopedEnv> fsroot, components;
  if (input.xml.empty() && !input.fsroot.empty()) {
    fsroot.emplace("HWLOC_FSROOT", input.fsroot);
    components.emplace("HWLOC_COMPONENTS", "linux,stop");
  }
  if (!input.xml.empty() || !input.fsroot.empty()) {
    ProbeResult probed = probe_load_in_child(input, xml_text);
    if (probed.stage != ProbeResult::loaded) throw_load_failure(input, probed);
  }
  if (ProbeResult r = load(raw, xml_text); r.stage != ProbeResult::loaded) throw_load_failure(input, r);

  read_cpu_side(raw, state.topo);
  PciTreeBuilder tree(raw, state);
  try {
    tree.walk_cpu_side(hwloc_get_root_obj(raw));
  } catch (const InputError& e) {
    throw InputError(source_name(input) + " " + e.what());  // "the XML topology X.xml has a bridge ..."
  }
  read_nvlink_distances(raw, tree, state);
}

}  // namespace rigcheck::topology::detail

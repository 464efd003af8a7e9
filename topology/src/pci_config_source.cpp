#include "pci_config_source.h"

#include <unistd.h>

#include <cerrno>
#include <csetjmp>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <vector>

extern "C" {
#include <pci/pci.h>
}

#include "pci_dump_check.h"
#include "rigcheck/topology/errors.h"
#include "rigcheck/topology/input_file.h"

namespace rigcheck::topology::detail {
namespace {

// One function as libpci reported it. Plain data: it is filled between setjmp and a possible
// longjmp from libpci's error callback, where no destructor may be skipped.
struct RawFunction {
  unsigned domain, bus, dev, func;
  unsigned vendor, device, device_class;
  int numa_node;
  int iommu_group;
  char driver[64];
  char name[256];
  int config_len;
  uint8_t config[4096];
};

// libpci's default error handler calls exit(). Ours records the message and jumps back to the
// guarded scan, which reports the failure as a normal error.
thread_local std::jmp_buf* g_error_jump = nullptr;
thread_local char g_error_message[512];

// PCI_NONRET (GNU noreturn), as libpci declares its error pointer: for clang the GNU attribute is
// part of the function's type, [[noreturn]] is not, and the assignment below would not compile.
PCI_NONRET void on_pci_error(char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(g_error_message, sizeof g_error_message, fmt, ap);
  va_end(ap);
  std::longjmp(*g_error_jump, 1);
}

void on_pci_warning(char*, ...) {}  // missing optional sysfs files are expected; nothing to print
void on_pci_debug(char*, ...) {}

int parse_int_or(const char* s, int fallback) {
  if (!s || !*s) return fallback;
  char* end = nullptr;
  long v = std::strtol(s, &end, 10);
  return end == s ? fallback : static_cast<int>(v);
}

void copy_string(char* dst, size_t size, const char* src) {
  std::snprintf(dst, size, "%s", src ? src : "");
}

// Reads as much config space as the access method allows: 4096 bytes as root (extended
// capabilities), 256 from a short dump, 64 for a non-root reader.
int read_config(pci_dev* d, uint8_t* buf) {
  for (int len : {4096, 256, 64}) {
    if (pci_read_block(d, 0, buf, len)) return len;
  }
  return 0;
}

void fill_function(pci_access* a, pci_dev* d, RawFunction& r) {
  std::memset(&r, 0, sizeof r);
  pci_fill_info(d, PCI_FILL_IDENT | PCI_FILL_CLASS | PCI_FILL_NUMA_NODE | PCI_FILL_IOMMU_GROUP | PCI_FILL_DRIVER);
  r.domain = static_cast<unsigned>(d->domain);
  r.bus = d->bus;
  r.dev = d->dev;
  r.func = d->func;
  r.vendor = d->vendor_id;
  r.device = d->device_id;
  r.device_class = d->device_class;
  r.numa_node = d->numa_node;
  r.iommu_group = parse_int_or(pci_get_string_property(d, PCI_FILL_IOMMU_GROUP), -1);
  copy_string(r.driver, sizeof r.driver, pci_get_string_property(d, PCI_FILL_DRIVER));
  char name[256];
  const char* looked_up = pci_lookup_name(a, name, sizeof name, PCI_LOOKUP_VENDOR | PCI_LOOKUP_DEVICE | PCI_LOOKUP_NO_NUMBERS,
                                          d->vendor_id, d->device_id);
  copy_string(r.name, sizeof r.name, looked_up);
  r.config_len = read_config(d, r.config);
}

// Everything that can call libpci's error handler runs here. Returns false with
// g_error_message set when libpci reported an error.
bool scan_guarded(pci_access* a, std::vector<RawFunction>* out) {
  std::jmp_buf jump;
  g_error_jump = &jump;
  if (setjmp(jump) != 0) {
    g_error_jump = nullptr;
    return false;
  }
  pci_init(a);
  pci_scan_bus(a);
  for (pci_dev* d = a->devices; d; d = d->next) {
    out->emplace_back();
    fill_function(a, d, out->back());
  }
  g_error_jump = nullptr;
  return true;
}

std::vector<RawFunction> scan(const PciConfigInput& input, std::string& error) {
  std::vector<RawFunction> functions;
  pci_access* a = pci_alloc();
  if (!a) {
    error = "pci_alloc failed";
    return functions;
  }
  a->error = on_pci_error;
  a->warning = on_pci_warning;
  a->debug = on_pci_debug;
  std::string sysfs = input.sysfs_root + "/sys/bus/pci";
  if (!input.dump.empty()) {
    a->method = PCI_ACCESS_DUMP;
    pci_set_param(a, const_cast<char*>("dump.name"), const_cast<char*>(input.dump.c_str()));
  } else {
    a->method = PCI_ACCESS_SYS_BUS_PCI;
    pci_set_param(a, const_cast<char*>("sysfs.path"), const_cast<char*>(sysfs.c_str()));
  }
  if (!scan_guarded(a, &functions)) error = g_error_message;
  pci_cleanup(a);
  return functions;
}

void merge(const RawFunction& r, DiscoveryState& state) {
  PciAddress address{r.domain, static_cast<uint8_t>(r.bus), static_cast<uint8_t>(r.dev), static_cast<uint8_t>(r.func)};
  int id = state.find(address);
  if (id < 0) return;  // hwloc filtered it out or it is not in this topology; nothing to join
  PciNode& n = state.topo.pci[id];
  NodeRegisters& regs = state.regs[id];
  if (n.name.empty() && r.name[0]) n.name = r.name;
  if (r.driver[0]) n.driver = r.driver;
  if (r.iommu_group >= 0) n.iommu_group = r.iommu_group;
  n.config_bytes = r.config_len;
  ConfigSpaceInfo cfg = parse_config_space({r.config, static_cast<size_t>(r.config_len)});
  if (cfg.pcie_type) {
    regs.pcie_type = cfg.pcie_type;
    regs.capability = cfg.link_capability;
    regs.status = cfg.link_status;
    regs.source = "config";
  }
  if (cfg.acs) n.acs = cfg.acs;
  if (cfg.aer_correctable_status) n.aer_correctable_status = cfg.aer_correctable_status;
}

// The checked dump, in a private file libpci can read by name; removed when done.
class CheckedDump {
 public:
  explicit CheckedDump(const std::string& user_path) {
    const std::string text = canonical_pci_dump(read_input_file(user_path, kPciDumpInput), user_path);
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/rigcheck-pci-dump-XXXXXX";
    std::vector<char> name(pattern.begin(), pattern.end());
    name.push_back('\0');
    const int fd = ::mkstemp(name.data());
    if (fd < 0) throw std::runtime_error("cannot create a temporary file for the PCI dump: " + std::string(std::strerror(errno)));
    path_ = name.data();
    const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    ::close(fd);
    if (!written) {
      ::unlink(path_.c_str());
      throw std::runtime_error("cannot write a temporary copy of the PCI dump in " + pattern);
    }
  }
  ~CheckedDump() { ::unlink(path_.c_str()); }
  CheckedDump(const CheckedDump&) = delete;
  CheckedDump& operator=(const CheckedDump&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

void apply_pci_config(const PciConfigInput& input, DiscoveryState& state) {
  std::optional<CheckedDump> checked;
  PciConfigInput scanned = input;
  if (!input.dump.empty()) {
    checked.emplace(input.dump);
    scanned.dump = checked->path();
  }
  std::string error;
  std::vector<RawFunction> functions = scan(scanned, error);
  if (!error.empty()) {
    if (!input.dump.empty()) throw InputError("libpci cannot parse the dump " + input.dump + ": " + error);
    state.note("pci", "PCI config space not read (" + error + "); link registers and ACS come from sysfs/hwloc only");
    return;
  }
  if (!input.dump.empty() && functions.empty())
    throw InputError("the PCI dump " + input.dump + " holds no devices (expected `lspci -xxxx` output)");
  size_t joined = 0;
  for (const auto& r : functions) {
    if (state.find(PciAddress{r.domain, static_cast<uint8_t>(r.bus), static_cast<uint8_t>(r.dev),
                              static_cast<uint8_t>(r.func)}) >= 0)
      ++joined;
    merge(r, state);
  }
  if (!input.dump.empty() && joined == 0 && !state.topo.pci.empty())
    state.note("pci", "none of the devices in " + input.dump + " is in the topology; is it a dump of this machine?");
}

}  // namespace rigcheck::topology::detail

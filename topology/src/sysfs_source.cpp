#include "sysfs_source.h"

#include <cinttypes>
#include <cstdio>
#include <sstream>

namespace rigcheck::topology::detail {

uint64_t bar_size_from_resource(const std::string& resource_text, int index) {
  std::istringstream in(resource_text);
  std::string line;
  for (int i = 0; std::getline(in, line); ++i) {
    if (i != index) continue;
    unsigned long long start = 0, end = 0, flags = 0;
    if (std::sscanf(line.c_str(), "%llx %llx %llx", &start, &end, &flags) != 3) return 0;
    return (start == 0 && end == 0) || end < start ? 0 : end - start + 1;
  }
  return 0;
}

namespace {

LinkState read_link(const RootedFs& fs, const std::string& dir, const char* speed_file, const char* width_file) {
  LinkState link;
  if (auto speed = fs.read_text(dir + speed_file)) link.gen = pcie_gen_from_speed_string(*speed).value_or(0);
  // A fake root is input: a width no link can have is taken as unknown, not cast.
  if (auto width = fs.read_long(dir + width_file); width && *width > 0 && *width <= 32) link.width = static_cast<int>(*width);
  return link;
}

}  // namespace

void apply_sysfs(const RootedFs& fs, DiscoveryState& state) {
  for (PciNode& n : state.topo.pci) {
    if (!n.address) continue;
    const std::string dir = "/sys/bus/pci/devices/" + n.address->str() + "/";
    if (!fs.exists(dir)) continue;
    NodeRegisters& regs = state.regs[n.id];
    // Config space wins when it was readable; the link files are the non-root fallback.
    if (regs.source != "config") {
      LinkState cap = read_link(fs, dir, "max_link_speed", "max_link_width");
      LinkState sta = read_link(fs, dir, "current_link_speed", "current_link_width");
      if (cap.known() || sta.known()) {
        regs.capability = cap;
        regs.status = sta;
        regs.source = "sysfs";
      }
    }
    if (n.driver.empty()) n.driver = fs.link_target_name(dir + "driver").value_or("");
    if (n.iommu_group < 0) {
      if (auto g = fs.link_target_name(dir + "iommu_group")) n.iommu_group = std::atoi(g->c_str());
    }
  }
}

}  // namespace rigcheck::topology::detail

// Writes the reference fake machine (fake_machine.h) as a sysfs/procfs tree and an lspci dump:
//   rigcheck_make_fake_root OUTDIR [--non-root | --one-gpu-small-bar]
// OUTDIR/root is the tree for `rigcheck topo --fsroot`, OUTDIR/lspci.txt the dump.
// --one-gpu-small-bar: one RTX 3090 in a CPU slot with Resizable BAR off (a warning, nothing worse).

#include <cstring>
#include <fstream>
#include <iostream>

#include "fake_machine.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: rigcheck_make_fake_root OUTDIR [--non-root]\n";
    return 2;
  }
  try {
    auto machine = rigcheck::testing::reference_machine();
    if (argc > 2 && std::strcmp(argv[2], "--non-root") == 0) machine.config_bytes = 64;
    if (argc > 2 && std::strcmp(argv[2], "--one-gpu-small-bar") == 0) {
      machine.functions = {
          {"0000:00:01.0", "", 0, 0x8086, 0x2030, 0x060400, 4, {4, 16}, {4, 16}, std::nullopt, 1, 1, "pcieport", 10},
          {"0000:01:00.0", "0000:00:01.0", 0, 0x10de, 0x2204, 0x030000, 0, {4, 16}, {4, 16}, std::nullopt, -1, -1,
           "nvidia", 11, 256ull << 20}};
      machine.numa_nodes = 1;
      machine.iommu_units = false;
      machine.iommu_group_types.clear();
    }
    std::filesystem::path out = argv[1];
    rigcheck::testing::write_fake_sysfs(machine, out / "root");
    std::ofstream(out / "lspci.txt") << rigcheck::testing::lspci_dump(machine);
  } catch (const std::exception& e) {
    std::cerr << "rigcheck_make_fake_root: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

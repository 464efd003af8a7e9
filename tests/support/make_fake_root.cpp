// Writes the reference fake machine (fake_machine.h) as a sysfs/procfs tree and an lspci dump:
//   rigcheck_make_fake_root OUTDIR [--non-root]
// OUTDIR/root is the tree for `rigcheck topo --fsroot`, OUTDIR/lspci.txt the dump.

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
    std::filesystem::path out = argv[1];
    rigcheck::testing::write_fake_sysfs(machine, out / "root");
    std::ofstream(out / "lspci.txt") << rigcheck::testing::lspci_dump(machine);
  } catch (const std::exception& e) {
    std::cerr << "rigcheck_make_fake_root: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

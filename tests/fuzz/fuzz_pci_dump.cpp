// `--pci-dump FILE` (an `lspci -xxxx` dump): the line-by-line check (pci_dump_check.cpp), libpci's
// dump reader on what the check let through, the config-space parser on every function's bytes,
// and the link assembly on the result. The PCI tree comes from hwloc once, at start: the test
// suite's reference machine as a fake sysfs root, whose dump (rigcheck_make_fake_root) is the
// seed, so the fuzzer starts from addresses that join with that tree.
#include <fstream>
#include <optional>

#include "assemble.h"
#include "discovery_state.h"
#include "fake_machine.h"
#include "fuzz_support.h"
#include "hwloc_source.h"
#include "pci_config_source.h"

using namespace rigcheck::topology;

namespace {

struct Fixture {
  rigcheck::testing::TempDir dir;
  detail::DiscoveryState tree;  // hwloc's view of the reference machine, before any config space
  std::string dump_path;

  Fixture() {
    const auto root = dir.path() / "root";
    rigcheck::testing::write_fake_sysfs(rigcheck::testing::reference_machine(), root);
    detail::load_hwloc({"", root.string()}, tree);
    dump_path = (dir.path() / "dump.txt").string();
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fixture();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Fixture& f = fixture();
  {
    std::ofstream out(f.dump_path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  rigcheck::fuzz::expect_ok_or_input_error("fuzz_pci_dump", [&] {
    detail::DiscoveryState state = f.tree;
    detail::apply_pci_config({f.dump_path, {}}, state);
    detail::classify_bridges(state);
    detail::assemble_links(state);
    detail::collect_gpus(state, std::nullopt);
  });
  return 0;
}

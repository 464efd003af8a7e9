// p2pBandwidthLatencyTest (full, cut, latency-only with line numbers) and nvidia-smi topo -m /
// -p2p (current legend with tabs, collapsed and wrapped, NIC columns, mlx5 columns, cut).

#include <gtest/gtest.h>

#include "support.h"

namespace rigcheck::import_test {
namespace {

using ingest::Event;
using topology::PathClass;

TEST(ImportP2p, ForumPostTwo2080TiWithoutP2p) {
  const auto m = import_fixture("autodl-2x2080ti-forum-post.md");
  ASSERT_EQ(m.inputs[0].blocks.size(), 4u);
  EXPECT_EQ(m.inputs[0].blocks[0].tool, "nvidia-smi topo");
  EXPECT_EQ(m.inputs[0].blocks[0].version, "current legend (PCIe bridge wording), GPU NUMA ID column");
  EXPECT_EQ(m.inputs[0].blocks[1].version, "topo -p2p");
  EXPECT_EQ(m.inputs[0].blocks[2].tool, "p2pBandwidthLatencyTest");
  EXPECT_EQ(m.inputs[0].blocks[3].tool, "nccl-tests");
  ASSERT_EQ(m.gpus.size(), 2u);
  EXPECT_EQ(m.gpus[0].name, "NVIDIA GeForce RTX 2080 Ti");
  EXPECT_EQ(m.gpus[1].address->str(), "0000:b5:00.0");  // pciBusID: b5 (hex, no 0x)
  EXPECT_EQ(m.gpus[0].numa_node, 1);
  EXPECT_EQ(m.gpus[0].cpu_affinity, "24-47,72-95");
  const auto* p = ingest::find_pair(m, 0, 1);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->path, PathClass::pix);
  EXPECT_EQ(p->p2p_granted, false);
  EXPECT_DOUBLE_EQ(cell(m, "p2pBandwidthLatencyTest.unidirectional_p2p_disabled", 0, 1)->value, 5.71);
  EXPECT_DOUBLE_EQ(cell(m, "device_to_device_write_ce", 1, 0)->value, 5.72);
  // The sample's bidirectional figure is the total of both directions: its own test.
  EXPECT_DOUBLE_EQ(cell(m, "p2pBandwidthLatencyTest.bidirectional_p2p_enabled", 0, 1)->value, 6.10);
  EXPECT_EQ(count_cells(m, "device_to_device_bidir_ce"), 0u);
  EXPECT_DOUBLE_EQ(cell(m, "p2pBandwidthLatencyTest.latency_p2p_enabled_gpu", 0, 1)->value, 14990);  // µs -> ns
  EXPECT_DOUBLE_EQ(cell(m, "p2pBandwidthLatencyTest.latency_p2p_disabled_cpu", 1, 0)->value, 10480);
  EXPECT_EQ(count_cells(m, "device_to_device_write_ce"), 2u);  // diagonals (local copies) are not pairs
  EXPECT_TRUE(m.events.empty());
}

TEST(ImportP2p, CutMatricesWithoutDeviceList) {
  const auto m = import_fixture("p2p-6gpu-p2p-slower-than-staged-cut.txt");
  EXPECT_EQ(m.gpus.size(), 6u);
  EXPECT_EQ(count_cells(m, "device_to_device_write_ce"), 30u);
  EXPECT_EQ(count_cells(m, "device_to_device_read_ce"), 30u);
  // "(P2P Reads)" row 5, column 2: GPU5 reads from GPU2, data 2 -> 5: rigcheck's read cell 2 -> 5.
  EXPECT_DOUBLE_EQ(cell(m, "device_to_device_read_ce", 2, 5)->value, 10.46);
  EXPECT_DOUBLE_EQ(cell(m, "p2pBandwidthLatencyTest.unidirectional_p2p_disabled", 3, 4)->value, 20.46);
  // The last row "0 918.31 21.12 30.53 29.85 3" stops mid-matrix.
  EXPECT_EQ(count_events(m, Event::Kind::truncated), 1u);
}

TEST(ImportP2p, ReadsAreTransposedOntoTheSendingGpu) {
  // On this machine (NVIDIA/nccl#814) a P2P copy's rate depends on the GPU the data leaves: the
  // writes matrix is constant along each row (the writer sends), the reads matrix along each
  // column (the GPU read from sends). Once on rigcheck's cells both are keyed by the sender.
  const auto m = import_fixture("p2p-6gpu-p2p-slower-than-staged-cut.txt");
  for (int src = 0; src < 6; ++src) {
    SCOPED_TRACE("from GPU" + std::to_string(src));
    const auto* write = cell(m, "device_to_device_write_ce", src, src == 0 ? 1 : 0);
    ASSERT_NE(write, nullptr);
    for (int dst = 0; dst < 6; ++dst) {
      if (dst == src) continue;
      const auto* w = cell(m, "device_to_device_write_ce", src, dst);
      ASSERT_NE(w, nullptr);
      EXPECT_NEAR(w->value, write->value, 0.02);  // rows of the writes matrix: one sender each
    }
  }
  // The reads matrix's column 2 (10.01, 10.01, —, 10.45, 10.45, 10.46) is GPU2 sending.
  EXPECT_DOUBLE_EQ(cell(m, "device_to_device_read_ce", 2, 0)->value, 10.01);
  EXPECT_DOUBLE_EQ(cell(m, "device_to_device_read_ce", 2, 3)->value, 10.45);
  EXPECT_DOUBLE_EQ(cell(m, "device_to_device_read_ce", 4, 0)->value, 9.64);
  EXPECT_DOUBLE_EQ(cell(m, "device_to_device_read_ce", 0, 4)->value, 9.95);
}

TEST(ImportP2p, ConnectivityMatrixGrantsPeers) {
  const auto m = import_fixture("p2p-8xh100-nvswitch-cut.txt");
  EXPECT_EQ(m.gpus.size(), 8u);
  EXPECT_EQ(ingest::find_pair(m, 3, 6)->p2p_granted, true);
  EXPECT_DOUBLE_EQ(cell(m, "p2pBandwidthLatencyTest.unidirectional_p2p_disabled", 7, 4)->value, 37.92);
  EXPECT_DOUBLE_EQ(cell(m, "device_to_device_write_ce", 0, 1)->value, 371.02);
  EXPECT_EQ(count_cells(m, "device_to_device_write_ce"), 7u);
  EXPECT_EQ(count_events(m, Event::Kind::truncated), 1u);
}

TEST(ImportP2p, LatencyOnlyWithEditorLineNumbers) {
  const auto m = import_fixture("p2p-4xv100-nvlink-latency-numbered.txt");
  ASSERT_EQ(m.inputs[0].blocks.size(), 1u);
  EXPECT_EQ(m.gpus.size(), 4u);
  EXPECT_DOUBLE_EQ(cell(m, "p2pBandwidthLatencyTest.latency_p2p_disabled_gpu", 0, 2)->value, 19610);
  EXPECT_DOUBLE_EQ(cell(m, "p2pBandwidthLatencyTest.latency_p2p_enabled_gpu", 2, 0)->value, 1810);
  EXPECT_DOUBLE_EQ(cell(m, "p2pBandwidthLatencyTest.latency_p2p_enabled_cpu", 2, 1)->value, 1760);
  EXPECT_EQ(count_cells(m, "p2pBandwidthLatencyTest.latency_p2p_enabled_gpu"), 12u);
}

TEST(ImportTopo, CurrentLegendWithTabsInDetailsBlocks) {
  const auto m = import_fixture("smi-topo-current-2x5090-phb-p2p-gns.md");
  ASSERT_EQ(m.inputs[0].blocks.size(), 2u);
  EXPECT_EQ(m.inputs[0].blocks[1].version, "topo -p2p, legend with DR (newer drivers)");
  const auto* p = ingest::find_pair(m, 0, 1);
  EXPECT_EQ(p->path, PathClass::phb);
  EXPECT_EQ(p->p2p_granted, false);
  EXPECT_EQ(p->p2p_status, "nvidia-smi topo -p2p: GNS");
  EXPECT_EQ(m.gpus[1].numa_node, 0);
  EXPECT_EQ(m.gpus[1].cpu_affinity, "0-63");
}

TEST(ImportTopo, CollapsedAndWrappedLegend) {
  const auto m = import_fixture("smi-topo-collapsed-wrapped-2gpu-node.md");
  EXPECT_EQ(m.inputs[0].blocks[0].version, "current legend (PCIe bridge wording), GPU NUMA ID column");
  const auto* p = ingest::find_pair(m, 0, 1);
  EXPECT_EQ(p->path, PathClass::node);
  EXPECT_EQ(p->p2p_granted, false);
  EXPECT_EQ(m.gpus[0].cpu_affinity, "0-15");
}

TEST(ImportTopo, NicColumnsAndACutRow) {
  const auto m = import_fixture("smi-topo-nic-columns-8gpu-cut.txt");
  EXPECT_EQ(m.gpus.size(), 8u);  // GPU7 known from the header only
  EXPECT_EQ(ingest::find_pair(m, 0, 5)->path, PathClass::sys);
  EXPECT_EQ(m.gpus[4].numa_node, 1);
  EXPECT_EQ(m.gpus[5].cpu_affinity, "56-111,168-223");
  EXPECT_EQ(count_events(m, Event::Kind::truncated), 1u);  // the GPU6 row
}

TEST(ImportTopo, Mlx5ColumnsNvlinkEverywhere) {
  const auto m = import_fixture("smi-topo-mlx5-columns-16xv100-nv6-cut.txt");
  EXPECT_EQ(m.gpus.size(), 16u);
  EXPECT_EQ(ingest::find_pair(m, 0, 15)->nvlink_links, 6);
  EXPECT_EQ(ingest::find_pair(m, 3, 4)->nvlink_links, 6);
  EXPECT_EQ(m.gpus[2].cpu_affinity, "0-23,48-71");
  EXPECT_EQ(m.gpus[2].numa_node, -1);  // no NUMA Affinity column in this era
  const auto mm = ingest::machine_model(m);
  // 16 GPUs with NV6 between every pair is an NVSwitch fabric, not 120 direct bundles.
  ASSERT_FALSE(mm.assumed.gpus[0].nvlink.empty());
  EXPECT_EQ(mm.assumed.gpus[0].nvlink[0].remote_kind, "nvswitch");
}

}  // namespace
}  // namespace rigcheck::import_test

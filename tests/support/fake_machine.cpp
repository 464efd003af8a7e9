#include "fake_machine.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <random>
#include <set>
#include <stdexcept>

namespace rigcheck::testing {

namespace fs = std::filesystem;

namespace {

void write_file(const fs::path& p, const std::string& content) {
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary);
  out << content;
  if (!out) throw std::runtime_error("cannot write " + p.string());
}

void put16(std::vector<uint8_t>& b, size_t off, uint16_t v) {
  b[off] = v & 0xff;
  b[off + 1] = v >> 8;
}
void put32(std::vector<uint8_t>& b, size_t off, uint32_t v) {
  put16(b, off, v & 0xffff);
  put16(b, off + 2, v >> 16);
}

std::string hex_mask(int first_cpu, int count) {
  uint64_t mask = 0;
  for (int c = first_cpu; c < first_cpu + count; ++c) mask |= 1ull << c;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%08llx\n", static_cast<unsigned long long>(mask));
  return buf;
}

std::string range(int first, int count) { return std::to_string(first) + "-" + std::to_string(first + count - 1) + "\n"; }

const char* speed_string(int gen) {
  switch (gen) {
    case 1: return "2.5 GT/s PCIe\n";
    case 2: return "5.0 GT/s PCIe\n";
    case 3: return "8.0 GT/s PCIe\n";
    case 4: return "16.0 GT/s PCIe\n";
    case 5: return "32.0 GT/s PCIe\n";
    case 6: return "64.0 GT/s PCIe\n";
    default: return "Unknown\n";
  }
}

const FakeFunction* find(const FakeMachine& m, const std::string& bdf) {
  for (const auto& f : m.functions)
    if (f.bdf == bdf) return &f;
  return nullptr;
}

// sysfs device directory relative to /sys/devices: "pci0000:00/0000:00:01.0/0000:01:00.0".
std::string device_dir(const FakeMachine& m, const FakeFunction& f) {
  std::string path = f.bdf;
  const FakeFunction* p = &f;
  while (!p->parent.empty()) {
    p = find(m, p->parent);
    if (!p) throw std::runtime_error("parent of " + f.bdf + " missing");
    path = p->bdf + "/" + path;
  }
  return "pci" + p->bdf.substr(0, 7) + "/" + path;
}

void write_cpu_part(const FakeMachine& m, const fs::path& root) {
  const int ncpu = m.numa_nodes * m.cpus_per_node;
  write_file(root / "sys/devices/system/cpu/possible", range(0, ncpu));
  write_file(root / "sys/devices/system/cpu/present", range(0, ncpu));
  write_file(root / "sys/devices/system/cpu/online", range(0, ncpu));
  std::string cpuinfo;
  for (int node = 0; node < m.numa_nodes; ++node) {
    const int first = node * m.cpus_per_node;
    for (int c = first; c < first + m.cpus_per_node; ++c) {
      fs::path t = root / ("sys/devices/system/cpu/cpu" + std::to_string(c)) / "topology";
      write_file(t / "physical_package_id", std::to_string(node) + "\n");
      write_file(t / "core_id", std::to_string(c - first) + "\n");
      write_file(t / "thread_siblings", hex_mask(c, 1));
      write_file(t / "core_siblings", hex_mask(first, m.cpus_per_node));
      write_file(t / "package_cpus", hex_mask(first, m.cpus_per_node));
      write_file(t / "core_cpus", hex_mask(c, 1));
      write_file(root / ("sys/devices/system/cpu/cpu" + std::to_string(c)) / "online", "1\n");
      cpuinfo += "processor\t: " + std::to_string(c) + "\nvendor_id\t: GenuineIntel\nmodel name\t: Fake Xeon\nphysical id\t: " +
                 std::to_string(node) + "\ncore id\t\t: " + std::to_string(c - first) + "\n\n";
    }
    fs::path n = root / ("sys/devices/system/node/node" + std::to_string(node));
    write_file(n / "cpumap", hex_mask(first, m.cpus_per_node));
    write_file(n / "cpulist", range(first, m.cpus_per_node));
    write_file(n / "meminfo", "Node " + std::to_string(node) + " MemTotal:       67108864 kB\n");
    std::string dist;
    for (int o = 0; o < m.numa_nodes; ++o) dist += std::string(o ? " " : "") + (o == node ? "10" : "21");
    write_file(n / "distance", dist + "\n");
  }
  write_file(root / "sys/devices/system/node/possible", range(0, m.numa_nodes));
  write_file(root / "sys/devices/system/node/online", range(0, m.numa_nodes));
  write_file(root / "proc/cpuinfo", cpuinfo);
  write_file(root / "proc/meminfo", "MemTotal:       134217728 kB\n");
}

void write_system_part(const FakeMachine& m, const fs::path& root) {
  write_file(root / "proc/cmdline", m.cmdline + "\n");
  write_file(root / "proc/sys/kernel/osrelease", m.kernel + "\n");
  if (!m.nvidia_version_line.empty()) {
    write_file(root / "proc/driver/nvidia/version", m.nvidia_version_line + "\nGCC version:  gcc version 12.2.0\n");
    write_file(root / "proc/driver/nvidia/params", m.nvidia_params);
  }
  if (m.iommu_units) write_file(root / "sys/class/iommu/dmar0/intel-iommu/version", "1:0\n");
  for (const auto& [group, type] : m.iommu_group_types)
    write_file(root / ("sys/kernel/iommu_groups/" + std::to_string(group)) / "type", type + "\n");
}

std::string resource_file(const FakeFunction& f) {
  // Six BARs plus the ROM: "start end flags" per line. BAR0 16 MiB registers, BAR1 the VRAM aperture.
  std::string s;
  char line[96];
  uint64_t base = 0xf0000000ull;
  for (int i = 0; i < 7; ++i) {
    uint64_t size = 0;
    if (f.vendor == 0x10de && i == 0) size = 16ull << 20;
    if (f.vendor == 0x10de && i == 1) size = f.bar1_bytes;
    if (size) {
      std::snprintf(line, sizeof line, "0x%016llx 0x%016llx 0x0000000000040200\n", static_cast<unsigned long long>(base),
                    static_cast<unsigned long long>(base + size - 1));
      base += size;
    } else {
      std::snprintf(line, sizeof line, "0x%016llx 0x%016llx 0x%016llx\n", 0ull, 0ull, 0ull);
    }
    s += line;
  }
  return s;
}

// /sys/class/{infiniband,net} as the kernel lays them out: class entries are symlinks into the
// device's directory, whose `device` link points back at the PCI function.
void write_network_part(const FakeMachine& m, const fs::path& root) {
  for (const auto& module : m.modules) fs::create_directories(root / "sys/module" / module);
  auto class_entry = [&](const std::string& cls, const std::string& name, const std::string& bdf) {
    fs::create_directories(root / "sys/class" / cls);
    if (bdf.empty()) {
      const fs::path dir = root / "sys/devices/virtual" / cls / name;
      fs::create_directories(dir);
      fs::create_directory_symlink("../../devices/virtual/" + cls + "/" + name, root / "sys/class" / cls / name);
      return dir;
    }
    const FakeFunction* f = find(m, bdf);
    if (!f) throw std::runtime_error(cls + " " + name + " on missing function " + bdf);
    const std::string rel = device_dir(m, *f);
    const fs::path dir = root / "sys/devices" / rel / cls / name;
    fs::create_directories(dir);
    fs::create_directory_symlink("../../../" + f->bdf, dir / "device");
    fs::create_directory_symlink("../../devices/" + rel + "/" + cls + "/" + name, root / "sys/class" / cls / name);
    return dir;
  };
  for (const auto& d : m.rdma) {
    const fs::path dir = class_entry("infiniband", d.name, d.bdf);
    write_file(dir / "node_guid", d.node_guid + "\n");
    for (size_t i = 0; i < d.ports.size(); ++i) {
      const fs::path port = dir / "ports" / std::to_string(i + 1);
      write_file(port / "state", d.ports[i].state + "\n");
      write_file(port / "phys_state", d.ports[i].phys_state + "\n");
      write_file(port / "rate", d.ports[i].rate + "\n");
      write_file(port / "link_layer", d.ports[i].link_layer + "\n");
    }
  }
  for (const auto& n : m.netdevs) {
    const fs::path dir = class_entry("net", n.name, n.bdf);
    write_file(dir / "operstate", n.operstate + "\n");
    write_file(dir / "speed", n.speed + "\n");
    write_file(dir / "type", std::to_string(n.type) + "\n");
    write_file(dir / "dev_port", std::to_string(n.dev_port) + "\n");
    write_file(dir / "address", n.address + "\n");
  }
}

}  // namespace

std::vector<uint8_t> config_space(const FakeFunction& f) {
  std::vector<uint8_t> b(4096, 0);
  put16(b, 0x00, f.vendor);
  put16(b, 0x02, f.device);
  put16(b, 0x04, 0x0406);
  put16(b, 0x06, 0x0010);  // status: capability list present
  b[0x08] = 0xa1;          // revision
  b[0x09] = f.class_code & 0xff;
  b[0x0a] = (f.class_code >> 8) & 0xff;
  b[0x0b] = (f.class_code >> 16) & 0xff;
  const bool bridge = f.secondary_bus >= 0;
  if (bridge) {
    b[0x0e] = 0x01;
    auto bus = [](const std::string& bdf) { return static_cast<uint8_t>(std::stoul(bdf.substr(5, 2), nullptr, 16)); };
    b[0x18] = bus(f.bdf);
    b[0x19] = static_cast<uint8_t>(f.secondary_bus);
    b[0x1a] = static_cast<uint8_t>(f.subordinate_bus);
  }
  b[0x34] = 0x60;  // first capability: power management at 0x60, then PCIe at 0x68
  b[0x60] = 0x01;  // PM capability id
  b[0x61] = 0x68;
  const size_t e = 0x68;
  b[e] = 0x10;
  b[e + 1] = 0x00;
  put16(b, e + 0x02, static_cast<uint16_t>(0x0002 | (f.pcie_type << 4)));
  const bool downstream_port = f.pcie_type == 4 || f.pcie_type == 6;
  put32(b, e + 0x0c, static_cast<uint32_t>(f.cap.gen | (f.cap.width << 4) | (downstream_port ? 0x100000 : 0)));
  put16(b, e + 0x12, static_cast<uint16_t>(f.sta.gen | (f.sta.width << 4) | (downstream_port ? 0x2000 : 0)));
  put32(b, e + 0x2c, static_cast<uint32_t>(((1u << f.cap.gen) - 1) << 1));  // LNKCAP2 supported speeds
  put16(b, e + 0x30, static_cast<uint16_t>(f.cap.gen));                     // LNKCTL2 target speed
  // Extended capabilities: AER at 0x100, then ACS at 0x148 when present.
  put32(b, 0x100, 0x0001u | (2u << 16) | ((f.acs ? 0x148u : 0u) << 20));
  put32(b, 0x100 + 0x10, f.aer_correctable);
  if (f.acs) {
    put32(b, 0x148, 0x000du | (1u << 16));
    put16(b, 0x148 + 4, f.acs->first);
    put16(b, 0x148 + 6, f.acs->second);
  }
  return b;
}

void write_fake_sysfs(const FakeMachine& m, const fs::path& root) {
  write_cpu_part(m, root);
  write_system_part(m, root);
  std::set<std::string> root_buses;
  for (const auto& f : m.functions) {
    const std::string rel = device_dir(m, f);
    const fs::path dir = root / "sys/devices" / rel;
    root_buses.insert(rel.substr(0, rel.find('/')));
    auto cfg = config_space(f);
    write_file(dir / "config", std::string(cfg.begin(), cfg.begin() + std::min<size_t>(cfg.size(), m.config_bytes)));
    char buf[32];
    std::snprintf(buf, sizeof buf, "0x%04x\n", f.vendor);
    write_file(dir / "vendor", buf);
    std::snprintf(buf, sizeof buf, "0x%04x\n", f.device);
    write_file(dir / "device", buf);
    std::snprintf(buf, sizeof buf, "0x%06x\n", f.class_code);
    write_file(dir / "class", buf);
    write_file(dir / "subsystem_vendor", "0x0000\n");
    write_file(dir / "subsystem_device", "0x0000\n");
    write_file(dir / "revision", "0xa1\n");
    write_file(dir / "irq", "0\n");
    write_file(dir / "numa_node", std::to_string(f.numa_node) + "\n");
    write_file(dir / "local_cpus", hex_mask(f.numa_node * m.cpus_per_node, m.cpus_per_node));
    write_file(dir / "local_cpulist", range(f.numa_node * m.cpus_per_node, m.cpus_per_node));
    write_file(dir / "resource", resource_file(f));
    write_file(dir / "max_link_speed", speed_string(f.cap.gen));
    write_file(dir / "max_link_width", std::to_string(f.cap.width) + "\n");
    write_file(dir / "current_link_speed", speed_string(f.sta.gen));
    write_file(dir / "current_link_width", std::to_string(f.sta.width) + "\n");
    if (f.secondary_bus >= 0) {
      write_file(dir / "secondary_bus_number", std::to_string(f.secondary_bus) + "\n");
      write_file(dir / "subordinate_bus_number", std::to_string(f.subordinate_bus) + "\n");
    }
    // Relative symlinks, as the kernel makes them.
    const int depth = static_cast<int>(std::count(rel.begin(), rel.end(), '/')) + 2;  // below sys/devices
    std::string up;
    for (int i = 0; i < depth; ++i) up += "../";
    if (!f.driver.empty()) {
      fs::create_directories(root / "sys/bus/pci/drivers" / f.driver);
      fs::create_directory_symlink(up + "bus/pci/drivers/" + f.driver, dir / "driver");
    }
    if (f.iommu_group >= 0) {
      fs::path g = root / ("sys/kernel/iommu_groups/" + std::to_string(f.iommu_group));
      fs::create_directories(g / "devices");
      fs::create_directory_symlink(up + "kernel/iommu_groups/" + std::to_string(f.iommu_group), dir / "iommu_group");
    }
    fs::create_directories(root / "sys/bus/pci/devices");
    fs::create_directory_symlink("../../../devices/" + rel, root / "sys/bus/pci/devices" / f.bdf);
  }
  for (const auto& bus : root_buses) fs::create_directories(root / "sys/devices" / bus);
  write_network_part(m, root);
}

std::string lspci_dump(const FakeMachine& m) {
  std::string out;
  for (const auto& f : m.functions) {
    out += f.bdf + " Fake device\n";
    auto cfg = config_space(f);
    char line[80];
    for (size_t off = 0; off < cfg.size(); off += 16) {
      int n = std::snprintf(line, sizeof line, "%02zx:", off);
      for (size_t i = 0; i < 16; ++i) n += std::snprintf(line + n, sizeof line - n, " %02x", cfg[off + i]);
      out += line;
      out += "\n";
    }
    out += "\n";
  }
  return out;
}

TempDir::TempDir() {
  std::random_device rd;
  for (int attempt = 0; attempt < 100; ++attempt) {
    fs::path p = fs::temp_directory_path() / ("rigcheck-test-" + std::to_string(rd()));
    if (fs::create_directory(p)) {
      path_ = p;
      return;
    }
  }
  throw std::runtime_error("cannot create a temporary directory");
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

FakeMachine reference_machine() {
  constexpr uint16_t kAcsCapAll = 0x005f;  // SV TB RR CR UF DT
  constexpr uint16_t kAcsLinuxOn = 0x001d; // SV RR CR UF: what Linux enables
  FakeMachine m;
  m.cmdline = "BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro intel_iommu=on iommu=pt";
  m.nvidia_version_line = "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.82.07  Release Build  (dvs-builder@U22)  Wed Sep 10 2025";
  m.nvidia_params = "EnableResizableBar: 0\nRegistryDwords: \"\"\n";
  m.iommu_units = true;
  m.iommu_group_types = {{14, "identity"}, {15, "identity"}, {16, "identity"}, {17, "identity"}, {18, "identity"}, {21, "identity"}};
  auto add = [&](FakeFunction f) { m.functions.push_back(std::move(f)); };
  // Socket 0, root bus 00: CPU root port -> PLX-style switch -> two RTX 3090.
  add({"0000:00:01.0", "", 0, 0x8086, 0x2030, 0x060400, 4, {4, 16}, {4, 16}, std::pair{kAcsCapAll, kAcsLinuxOn}, 1, 4, "pcieport", 10});
  add({"0000:01:00.0", "0000:00:01.0", 0, 0x10b5, 0x8747, 0x060400, 5, {4, 16}, {4, 16}, std::nullopt, 2, 4, "pcieport", 11});
  add({"0000:02:08.0", "0000:01:00.0", 0, 0x10b5, 0x8747, 0x060400, 6, {4, 16}, {1, 16}, std::pair{kAcsCapAll, kAcsLinuxOn}, 3, 3, "pcieport", 12});
  add({"0000:02:10.0", "0000:01:00.0", 0, 0x10b5, 0x8747, 0x060400, 6, {4, 16}, {4, 8}, std::pair{kAcsCapAll, uint16_t{0}}, 4, 4, "pcieport", 13});
  add({"0000:03:00.0", "0000:02:08.0", 0, 0x10de, 0x2204, 0x030000, 0, {4, 16}, {1, 16}, std::nullopt, -1, -1, "nvidia", 14, 256ull << 20});
  add({"0000:04:00.0", "0000:02:10.0", 0, 0x10de, 0x2204, 0x030000, 0, {4, 16}, {4, 8}, std::nullopt, -1, -1, "nvidia", 15, 32ull << 30});
  // Same root bus, a GPU straight on a root port (shorter path: the LCA regression case).
  add({"0000:00:03.0", "", 0, 0x8086, 0x2032, 0x060400, 4, {3, 16}, {3, 16}, std::pair{kAcsCapAll, kAcsLinuxOn}, 5, 5, "pcieport", 16});
  // This GPU's link has logged a Bad DLLP (AER correctable status bit 6).
  add({"0000:05:00.0", "0000:00:03.0", 0, 0x10de, 0x2204, 0x030000, 0, {4, 16}, {3, 16}, std::nullopt, -1, -1, "nvidia", 16, 32ull << 30, 0x40});
  // Chipset (PCH) x1 slot with a GTX 1060.
  add({"0000:00:1c.4", "", 0, 0x8086, 0x7abc, 0x060400, 4, {3, 1}, {3, 1}, std::nullopt, 6, 6, "pcieport", 17});
  add({"0000:06:00.0", "0000:00:1c.4", 0, 0x10de, 0x1c03, 0x030000, 0, {3, 16}, {3, 1}, std::nullopt, -1, -1, "nvidia", 17, 256ull << 20});
  // Socket 0, a second root bus: NODE to the GPUs above.
  add({"0000:40:01.0", "", 0, 0x8086, 0x2030, 0x060400, 4, {4, 16}, {4, 16}, std::nullopt, 0x41, 0x41, "pcieport", 18});
  add({"0000:41:00.0", "0000:40:01.0", 0, 0x10de, 0x2204, 0x030000, 0, {4, 16}, {4, 16}, std::nullopt, -1, -1, "nvidia", 18, 32ull << 30});
  // Socket 1: an H100 at Gen5 x16.
  add({"0000:80:01.0", "", 1, 0x8086, 0x352a, 0x060400, 4, {5, 16}, {5, 16}, std::pair{kAcsCapAll, kAcsLinuxOn}, 0x81, 0x81, "pcieport", 20});
  add({"0000:81:00.0", "0000:80:01.0", 1, 0x10de, 0x2330, 0x030200, 0, {5, 16}, {5, 16}, std::nullopt, -1, -1, "nvidia", 21, 128ull << 30});
  return m;
}

FakeMachine hgx_node() {
  constexpr uint16_t kAcsCapAll = 0x005f;
  FakeMachine m;
  m.numa_nodes = 2;
  m.kernel = "6.8.0-45-generic";
  m.nvidia_version_line = "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.127.05  Tue Oct  8 03:22:07 UTC 2024";
  m.modules = {"nvidia", "nvidia_peermem"};
  auto add = [&](FakeFunction f) { m.functions.push_back(std::move(f)); };
  int group = 30;
  // Per switch: root port -> switch upstream -> 3 downstream ports (GPU, GPU, HCA).
  const char* roots[] = {"0000:00:01.0", "0000:00:03.0", "0000:80:01.0", "0000:80:03.0"};
  for (int s = 0; s < 4; ++s) {
    const int node = s / 2;
    const int bus = (node ? 0x81 : 0x01) + (s % 2) * 0x10;  // 01/11 on socket 0, 81/91 on socket 1
    char up[16], d[3][16], ep[3][16];
    std::snprintf(up, sizeof up, "0000:%02x:00.0", bus);
    for (int i = 0; i < 3; ++i) {
      std::snprintf(d[i], sizeof d[i], "0000:%02x:%02x.0", bus + 1, i);
      std::snprintf(ep[i], sizeof ep[i], "0000:%02x:00.0", bus + 2 + i);
    }
    add({roots[s], "", node, 0x8086, 0x352a, 0x060400, 4, {5, 16}, {5, 16}, std::nullopt, bus, bus + 4, "pcieport", group++});
    add({up, roots[s], node, 0x1000, 0xc030, 0x060400, 5, {5, 16}, {5, 16}, std::nullopt, bus + 1, bus + 4, "pcieport", group++});
    for (int i = 0; i < 3; ++i)
      add({d[i], up, node, 0x1000, 0xc030, 0x060400, 6, {5, 16}, {5, 16}, std::pair{kAcsCapAll, uint16_t{0}}, bus + 2 + i,
           bus + 2 + i, "pcieport", group++});
    add({ep[0], d[0], node, 0x10de, 0x2330, 0x030200, 0, {5, 16}, {5, 16}, std::nullopt, -1, -1, "nvidia", group++, 128ull << 30});
    add({ep[1], d[1], node, 0x10de, 0x2330, 0x030200, 0, {5, 16}, {5, 16}, std::nullopt, -1, -1, "nvidia", group++, 128ull << 30});
    // ConnectX-6 (MT28908, 15b3:101b): PCIe Gen4 x16, InfiniBand class 0x0207.
    add({ep[2], d[2], node, 0x15b3, 0x101b, 0x020700, 0, {4, 16}, {4, 16}, std::nullopt, -1, -1, "mlx5_core", group++});
    m.rdma.push_back({"mlx5_" + std::to_string(s), ep[2]});
    m.netdevs.push_back({"ib" + std::to_string(s), ep[2], "up", "200000", 32, 0});
  }
  // Management Ethernet on socket 0's chipset side (X710, 8086:1572), and virtual interfaces.
  add({"0000:00:1c.0", "", 0, 0x8086, 0xa190, 0x060400, 4, {3, 8}, {3, 8}, std::nullopt, 0x60, 0x60, "pcieport", group++});
  add({"0000:60:00.0", "0000:00:1c.0", 0, 0x8086, 0x1572, 0x020000, 0, {3, 8}, {3, 8}, std::nullopt, -1, -1, "i40e", group++});
  m.netdevs.push_back({"eno1", "0000:60:00.0", "up", "10000", 1, 0});
  m.netdevs.push_back({"lo", "", "unknown", "-1", 772, 0});
  m.netdevs.push_back({"docker0", "", "down", "-1", 1, 0});
  return m;
}

}  // namespace rigcheck::testing

#pragma once
// The text of the kernel's network files, read into the NIC model: the InfiniBand port files of
// /sys/class/infiniband/*/ports/* (Documentation/ABI/stable/sysfs-class-infiniband;
// drivers/infiniband/core/sysfs.c writes them) and the netdev files of /sys/class/net/*
// (Documentation/ABI/testing/sysfs-class-net).

#include <optional>
#include <string>
#include <string_view>

namespace rigcheck::topology {

// A port's rate file: "<Gb/s> Gb/sec (<width>X <speed>)", e.g. "200 Gb/sec (4X HDR)",
// "2.5 Gb/sec (1X SDR)", "56 Gb/sec (4X FDR)"; the speed name may be absent on old kernels.
struct IbRate {
  double gbit = 0;
  int width = 0;       // lanes
  std::string speed;   // "HDR", "" when absent
};
std::optional<IbRate> parse_ib_rate(std::string_view text);

// A port's state or phys_state file, "4: ACTIVE" or "5: LinkUp", to its name ("ACTIVE",
// "LinkUp"); text without the number is kept as it is. "" for empty text.
std::string port_state_name(std::string_view text);

// A netdev's speed file (Mb/s) to Gb/s: "100000" is 100. nullopt for "-1", "" or garbage (a down
// link reads -1 or fails with EINVAL).
std::optional<double> netdev_speed_gbit(std::string_view text);

// Whether a kernel release ("6.8.0-45-generic", "5.15.0") is at least major.minor; nullopt when
// the text does not start with a version.
std::optional<bool> kernel_at_least(std::string_view release, int major, int minor);

}  // namespace rigcheck::topology

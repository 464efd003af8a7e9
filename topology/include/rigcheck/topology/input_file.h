#pragma once
// Reading a file the user named. Every input is read through here, so none can hang rigcheck (a
// FIFO, a terminal), fill its memory (/dev/zero, a huge file) or be half read: only regular files,
// each kind with a size cap that is far above any real input of that kind.

#include <cstddef>
#include <string>

namespace rigcheck::topology {

struct InputKind {
  const char* what;  // "topology JSON", for messages: "... is larger than the 64 MiB a topology JSON may be"
  size_t max_bytes;
};

// A 1024-GPU topology (the cap on GPUs) is well under this; seed rigs are a few KiB.
inline constexpr InputKind kJsonInput{"JSON file", size_t{64} << 20};
inline constexpr InputKind kXmlInput{"hwloc XML file", size_t{64} << 20};
inline constexpr InputKind kPciDumpInput{"PCI dump", size_t{32} << 20};
// A sysfs or procfs attribute: a page is the kernel's limit for one; the NVIDIA params file and
// cpulists are smaller still. Generous for fake roots written by hand.
inline constexpr InputKind kSysfsInput{"sysfs or procfs file", size_t{1} << 20};

// The whole file. Throws InputError (one sentence naming the file) when it cannot be opened, is
// not a regular file, or is larger than the kind allows.
std::string read_input_file(const std::string& path, const InputKind& kind);

}  // namespace rigcheck::topology

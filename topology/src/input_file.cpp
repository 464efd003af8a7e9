#include "rigcheck/topology/input_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "rigcheck/topology/errors.h"

namespace rigcheck::topology {
namespace {

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

std::string mib(size_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }

}  // namespace

std::string read_input_file(const std::string& path, const InputKind& kind) {
  // O_NONBLOCK: opening a FIFO with no writer would otherwise block before fstat can refuse it.
  Fd f{::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC)};
  if (f.fd < 0) throw InputError("cannot read " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) throw InputError("cannot read " + path + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) throw InputError(path + " is not a regular file (a " + kind.what + " must be one)");
  if (static_cast<unsigned long long>(st.st_size) > kind.max_bytes)
    throw InputError(path + " is larger than the " + mib(kind.max_bytes) + " a " + kind.what + " may be");
  // procfs and sysfs report a size of 0 or 4096 whatever they hold: read up to the cap, not st_size.
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(f.fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw InputError("cannot read " + path + ": " + std::strerror(errno));
    if (n == 0) break;
    if (out.size() + static_cast<size_t>(n) > kind.max_bytes)
      throw InputError(path + " is larger than the " + mib(kind.max_bytes) + " a " + kind.what + " may be");
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

}  // namespace rigcheck::topology

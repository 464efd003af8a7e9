// NCCL_DEBUG=INFO lines, every NCCL era (src/transport/{p2p,shm,net}.cc): "Ring %02d : …"
// (<= 2.6), "Channel %02d : …" (2.7-2.13), "Channel %02d/%d : …" (2.14+), each ending in "via
// P2P/…", "via SHM/…" (2.13+; "via direct shared memory" before) or "[send] via NET/…". Lines
// carry a "host:pid:tid [dev]" prefix, and WARN lines a timestamp from 2.26; both are ignored.

#include "rigcheck/ingest/blocks.h"
#include "rigcheck/ingest/parsers.h"

namespace rigcheck::ingest {

namespace {

int nccl_code(std::string_view v) {
  int major = 0, minor = 0, patch = 0;
  if (std::sscanf(std::string(v).c_str(), "%d.%d.%d", &major, &minor, &patch) < 2) return 0;
  return major * 10000 + minor * 100 + patch;
}

}  // namespace

std::pair<int, int> scan_nccl_info(const std::vector<Line>& lines, const std::string& file, PartialMachine& m) {
  std::pair<int, int> span{0, 0};
  for (const auto& l : lines) {
    const std::string_view t = trim(l.text());
    const size_t info = t.find("NCCL INFO ");
    if (info == std::string_view::npos) continue;
    const std::string_view msg = t.substr(info + 10);
    bool used = false;
    if (starts_with(msg, "NCCL version ")) {
      auto v = tokens(msg.substr(13));
      if (!v.empty()) m.versions.nccl = nccl_code(v[0]);
      used = true;
    } else if (contains(msg, "NCCL_P2P_DISABLE set by environment to 1") || starts_with(msg, "P2P is disabled")) {
      m.nccl.p2p_disabled = true;
      used = true;
    } else if ((starts_with(msg, "Channel ") || starts_with(msg, "Ring ")) && contains(msg, " via ")) {
      const std::string_view how = msg.substr(msg.find(" via ") + 5);
      if (starts_with(how, "P2P")) ++m.nccl.p2p;
      else if (starts_with(how, "SHM") || starts_with(how, "direct shared memory")) ++m.nccl.shm;
      else if (starts_with(how, "NET")) ++m.nccl.net;
      else continue;
      if (m.nccl.format.empty()) {
        auto tok = tokens(msg);
        m.nccl.format = tok[0] == "Ring" ? "Ring (NCCL <= 2.6)"
                        : tok.size() > 1 && contains(tok[1], "/") ? "Channel NN/N (NCCL 2.14+)"
                                                                  : "Channel NN (NCCL 2.7-2.13)";
        m.nccl.from.file = file;
        m.nccl.from.line = l.number;
        m.nccl.from.tool = kNcclInfo;
        m.nccl.from.version = m.nccl.format;
      }
      used = true;
    }
    if (!used) continue;
    if (!span.first) span.first = l.number;
    span.second = l.number;
  }
  return span;
}

}  // namespace rigcheck::ingest

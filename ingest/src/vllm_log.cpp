// vLLM's lines about peer-to-peer: its custom all-reduce needs P2P, it tests P2P itself once per
// GPU set and caches the answer in ~/.cache/vllm/gpu_p2p_access_cache_for_<gpus>.json, and it
// refuses more than two PCIe-only GPUs whatever P2P can do. Worker prefixes ("(VllmWorker
// rank=0 pid=…)") are removed by normalise().

#include "rigcheck/ingest/blocks.h"
#include "rigcheck/ingest/parsers.h"

namespace rigcheck::ingest {

std::pair<int, int> scan_vllm(const std::vector<Line>& lines, const std::string& file, PartialMachine& m) {
  std::pair<int, int> span{0, 0};
  for (const auto& l : lines) {
    const std::string_view t = l.text();
    bool used = false;
    if (contains(t, "Custom allreduce is disabled because your platform lacks GPU P2P capability or P2P test failed")) {
      ++m.vllm.p2p_failed;
      used = true;
    } else if (contains(t, "Custom allreduce is disabled because it's not supported on more than two PCIe-only GPUs")) {
      ++m.vllm.pcie_only;
      used = true;
    } else if (size_t at = t.find("reading GPU P2P access cache from "); at != std::string_view::npos) {
      auto tok = tokens(t.substr(at + 34));
      if (!tok.empty()) m.vllm.cache_file = std::string(tok[0]);
      used = true;
    }
    if (!used) continue;
    if (!span.first) {
      span.first = l.number;
      m.vllm.from.file = file;
      m.vllm.from.line = l.number;
      m.vllm.from.tool = kVllm;
    }
    span.second = l.number;
  }
  return span;
}

}  // namespace rigcheck::ingest

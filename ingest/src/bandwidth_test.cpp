// cuda-samples bandwidthTest (removed in CUDA Samples 12.9): "[CUDA Bandwidth Test] -
// Starting...", " Device N: NAME", Quick/Range/Shmoo mode, then per direction "Host to Device
// Bandwidth, 1 Device(s)", "PINNED|PAGEABLE Memory Transfers", a "Transfer Size (Bytes)
// Bandwidth(GB/s)" header (MB/s before CUDA 10.1) and one row per size; "Result = PASS|FAIL".
// --csv prints "bandwidthTest-H2D-Pinned, Bandwidth = 12.3 GB/s, Time = …, Size = N bytes, …".
// Pinned copies are cudaMemcpyAsync (copy engine); the largest size of a range is kept. The
// device-to-device figure counts each byte read and written, so it is not rigcheck's local copy.

#include <map>

#include "rigcheck/ingest/blocks.h"
#include "rigcheck/ingest/parsers.h"

namespace rigcheck::ingest {

namespace {

// bandwidthTest before CUDA 10.1 divided bytes/s by 2^20 and called it MB/s.
constexpr double kMibPerSecondToGbps = 1048576.0 / 1e9;

struct Figure {
  uint64_t bytes = 0;
  double gbps = 0;
  int line = 0;
};

std::string cell_test(const std::string& direction, bool pinned, bool& mapped) {
  mapped = pinned && (direction == "h2d" || direction == "d2h");
  if (mapped) return direction == "h2d" ? "host_to_device_ce" : "device_to_host_ce";
  return std::string(kBandwidthTest) + "." + direction + (pinned ? "_pinned" : "_pageable");
}

}  // namespace

std::string parse_bandwidth_test(const BlockInput& in, PartialMachine& m) {
  int device = -1;
  bool cumulative = false, gb = true, any = false;
  std::string direction, version;
  bool pinned = true;
  std::map<std::string, Figure> best;  // "h2d|1" -> the largest size's figure
  auto at = [&](int line) {
    Provenance p;
    p.file = in.file;
    p.line = line;
    p.tool = kBandwidthTest;
    p.method = "ce";
    return p;
  };
  auto keep = [&](const std::string& dir, bool pin, uint64_t bytes, double gbps, int line) {
    Figure& f = best[dir + (pin ? "|1" : "|0")];
    if (bytes >= f.bytes) f = {bytes, gbps, line};
    any = true;
  };
  // The figures of one run as cells (a block can hold several runs when banners were damaged).
  auto flush = [&] {
    if (best.empty()) return;
    if (device < 0) device = 0;
    gpu_at(m, device);
    for (const auto& [key, f] : best) {
      const std::string dir = key.substr(0, 3);
      const bool pin = key.back() == '1';
      bool mapped = false;
      ImportedCell c;
      c.test = cell_test(dir, pin, mapped);
      // --device=all sums sequential runs of every GPU: not one GPU's figure.
      if (cumulative) c.test = std::string(kBandwidthTest) + ".cumulative_" + dir + (pin ? "_pinned" : "_pageable"), mapped = false;
      c.mapped = mapped;
      c.foreign = std::string("bandwidthTest ") + dir + (pin ? " pinned" : " pageable");
      c.col = device;
      c.value = f.gbps;
      c.unit = "GB/s";
      c.from = at(f.line);
      c.from.version = version;
      c.from.bytes = f.bytes;
      m.cells.push_back(std::move(c));
    }
    best.clear();
  };
  for (size_t i = in.begin; i < in.end; ++i) {
    const std::string_view t = trim(in.lines[i].text());
    const int line = in.lines[i].number;
    auto tok = tokens(t);
    long v = 0;
    if (starts_with(t, "Device ") && tok.size() >= 3 && parse_int(tok[1].substr(0, tok[1].size() - 1), v) && tok[1].back() == ':') {
      device = static_cast<int>(v);
      name_gpu(m, device, std::string(trim(t.substr(t.find(':') + 1))), at(line));
    } else if (contains(t, "Cumulative Bandwidth")) {
      cumulative = true;
    } else if (contains(t, "Host to Device Bandwidth")) {
      direction = "h2d";
    } else if (contains(t, "Device to Host Bandwidth")) {
      direction = "d2h";
    } else if (contains(t, "Device to Device Bandwidth")) {
      direction = "d2d";
    } else if (starts_with(t, "PINNED Memory")) {
      pinned = true;
    } else if (starts_with(t, "PAGEABLE Memory")) {
      pinned = false;
    } else if (starts_with(t, "Transfer Size")) {
      // The unit decides the era; a header cut before its unit keeps the one seen before.
      if (contains(t, "MB/s") || contains(t, "GB/s")) gb = !contains(t, "MB/s");
      version = gb ? "CUDA 10.1+ (GB/s)" : "before CUDA 10.1 (MB/s)";
    } else if ((contains(t, "Bandwidth Test] - Starting") || t == "Running on...") && !best.empty()) {
      // A second run inside one block: its banner lost its '[' in the paste, so no new block
      // started. The first run's figures are its own, not overwritten by the second's.
      flush();
      direction.clear();
      pinned = true;
    } else if (starts_with(t, "bandwidthTest-") && contains(t, "Bandwidth =")) {
      // CSV: bandwidthTest-H2D-Pinned, Bandwidth = 12.3 GB/s, Time = 0.00260 s, Size = 32000000 bytes
      const std::string kind(t.substr(14, t.find(',') - 14));
      const std::string dir = kind.rfind("H2D", 0) == 0 ? "h2d" : kind.rfind("D2H", 0) == 0 ? "d2h" : "d2d";
      double bw = 0;
      size_t b = t.find("Bandwidth =");
      auto bt = tokens(t.substr(b + 11));
      if (bt.empty() || !parse_number(bt[0], bw)) continue;
      if (bt.size() > 1 && bt[1].substr(0, 4) == "MB/s") bw *= kMibPerSecondToGbps;
      uint64_t bytes = 0;
      if (size_t s = t.find("Size ="); s != std::string_view::npos) {
        auto st = tokens(t.substr(s + 6));
        if (!st.empty()) bytes = std::strtoull(std::string(st[0]).c_str(), nullptr, 10);
      }
      version = "CUDA 10.1+ (--csv)";
      keep(dir, kind.find("Pageable") == std::string::npos, bytes, bw, line);
    } else if (starts_with(t, "Result = FAIL")) {
      Event e;
      e.kind = Event::Kind::error;
      e.test = "bandwidthTest";
      e.text = std::string(t);
      e.from = at(line);
      m.events.push_back(e);
    } else if (!direction.empty() && tok.size() == 2 && parse_int(tok[0], v) && v > 0) {
      double bw = 0;
      if (!parse_number(tok[1], bw)) continue;
      keep(direction, pinned, static_cast<uint64_t>(v), gb ? bw : bw * kMibPerSecondToGbps, line);
    } else {
      note_failure_line(std::string(t), "bandwidthTest", at(line), m);
    }
  }
  if (!any) throw ParseError(in.lines[in.begin].number, "bandwidthTest output without any bandwidth row");
  flush();
  say_cannot_show(m, "bandwidthTest does not say which NUMA node its pinned buffers were on (a remote node can cost a large factor)");
  return version;
}

}  // namespace rigcheck::ingest

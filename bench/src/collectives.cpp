#include "rigcheck/bench/collectives.h"

#include <charconv>
#include <cstdlib>
#include <string_view>

namespace rigcheck::bench {

const char* to_string(Collective c) {
  switch (c) {
    case Collective::all_reduce: return "allreduce";
    case Collective::all_gather: return "allgather";
    case Collective::reduce_scatter: return "reducescatter";
    case Collective::broadcast: return "broadcast";
    case Collective::reduce: return "reduce";
    case Collective::all_to_all: return "alltoall";
    case Collective::send_recv: return "sendrecv";
  }
  return "?";
}

const std::vector<Collective>& all_collectives() {
  static const std::vector<Collective> all = {Collective::all_reduce, Collective::all_gather, Collective::reduce_scatter,
                                              Collective::broadcast,  Collective::reduce,     Collective::all_to_all,
                                              Collective::send_recv};
  return all;
}

std::optional<Collective> collective_from_name(const std::string& name) {
  for (Collective c : all_collectives())
    if (name == to_string(c)) return c;
  return std::nullopt;
}

double bus_factor(Collective c, int n) {
  if (n <= 1) return c == Collective::all_reduce || c == Collective::all_gather || c == Collective::reduce_scatter ||
                             c == Collective::all_to_all
                         ? 0.0
                         : 1.0;
  switch (c) {
    case Collective::all_reduce: return 2.0 * (n - 1) / n;
    case Collective::all_gather:
    case Collective::reduce_scatter:
    case Collective::all_to_all: return static_cast<double>(n - 1) / n;
    case Collective::broadcast:
    case Collective::reduce:
    case Collective::send_recv: return 1.0;
  }
  return 1.0;
}

std::vector<uint64_t> size_sweep(uint64_t min_bytes, uint64_t max_bytes) {
  std::vector<uint64_t> out;
  for (uint64_t s = std::max<uint64_t>(min_bytes, 1); s <= max_bytes; s *= 2) {
    out.push_back(s);
    if (s > (UINT64_MAX >> 1)) break;
  }
  return out;
}

namespace {

std::optional<uint64_t> parse_one_size(const std::string& text) {
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || v <= 0) return std::nullopt;
  const std::string unit(end);
  double scale = 0;
  if (unit.empty() || unit == "B") scale = 1;
  else if (unit == "KiB" || unit == "K") scale = 1024.0;
  else if (unit == "MiB" || unit == "M") scale = 1024.0 * 1024;
  else if (unit == "GiB" || unit == "G") scale = 1024.0 * 1024 * 1024;
  else return std::nullopt;
  // Beyond 2^62 bytes the cast would be undefined; no GPU has that much memory anyway.
  if (!(v * scale < 0x1p62)) return std::nullopt;
  return static_cast<uint64_t>(v * scale);
}

}  // namespace

std::optional<std::pair<uint64_t, uint64_t>> parse_size_range(const std::string& text) {
  auto colon = text.find(':');
  if (colon == std::string::npos) {
    auto one = parse_one_size(text);
    if (!one) return std::nullopt;
    return std::pair{*one, *one};
  }
  auto lo = parse_one_size(text.substr(0, colon)), hi = parse_one_size(text.substr(colon + 1));
  if (!lo || !hi || *lo > *hi) return std::nullopt;
  return std::pair{*lo, *hi};
}

void compute_bandwidths(CollectiveResult& r, int ranks) {
  if (r.time_us <= 0) return;
  r.algbw_gbps = static_cast<double>(r.bytes) / (r.time_us * 1e-6) / 1e9;
  r.busbw_gbps = r.algbw_gbps * bus_factor(r.op, ranks);
}

namespace {

// NCCL's log is written by another program and read here in the parent process, so it is parsed
// by hand: no backtracking regex (std::regex recurses per character and overflows the stack on a
// long line), no std::stoi (it throws on a 20-digit number), and lines longer than any NCCL prints
// are skipped unread.
constexpr size_t kMaxLogLine = 4096;

class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}
  bool literal(std::string_view lit) {
    if (s_.substr(0, lit.size()) != lit) return false;
    s_.remove_prefix(lit.size());
    return true;
  }
  // A decimal number of at most 9 digits (every channel and rank NCCL prints fits).
  std::optional<int> number() {
    size_t n = 0;
    while (n < s_.size() && s_[n] >= '0' && s_[n] <= '9') ++n;
    if (n == 0 || n > 9) return std::nullopt;
    int v = 0;
    std::from_chars(s_.data(), s_.data() + n, v);
    s_.remove_prefix(n);
    return v;
  }
  bool skip_bracketed() {  // "[anything but ]]"
    if (!literal("[")) return false;
    size_t close = s_.find(']');
    if (close == std::string_view::npos) return false;
    s_.remove_prefix(close + 1);
    return true;
  }
  std::string_view word() {  // up to the next blank
    size_t n = 0;
    while (n < s_.size() && s_[n] != ' ' && s_[n] != '\t') ++n;
    std::string_view w = s_.substr(0, n);
    s_.remove_prefix(n);
    return w;
  }
  std::string_view rest() const { return s_; }

 private:
  std::string_view s_;
};

// "Channel 00/0 : 0[0] -> 1[1] [send] via P2P/CUMEM/read" (2.19+) or "Channel 00 : 0[1b000] -> ..." (older).
std::optional<ChannelRoute> parse_channel(std::string_view line) {
  size_t at = line.find("NCCL INFO Channel ");
  if (at == std::string_view::npos) return std::nullopt;
  Cursor c(line.substr(at + 18));
  ChannelRoute r;
  auto channel = c.number();
  if (!channel) return std::nullopt;
  r.channel = *channel;
  if (c.literal("/") && !c.number()) return std::nullopt;
  c.literal(" ");
  if (!c.literal(": ")) return std::nullopt;
  auto from = c.number();
  if (!from || !c.skip_bracketed() || !c.literal(" -> ")) return std::nullopt;
  auto to = c.number();
  if (!to || !c.skip_bracketed() || !c.literal(" ")) return std::nullopt;
  (void)(c.literal("[send] ") || c.literal("[receive] "));  // NET lines name their side
  if (!c.literal("via ")) return std::nullopt;
  std::string_view via = c.word();
  if (via.empty()) return std::nullopt;
  r.from_rank = *from;
  r.to_rank = *to;
  r.detail = std::string(via);
  if (c.literal(" pointer")) r.detail += " pointer";
  r.transport = r.detail.substr(0, r.detail.find('/'));
  return r;
}

std::optional<std::string> parse_version(std::string_view line) {
  size_t at = line.find("NCCL version ");
  if (at == std::string_view::npos) return std::nullopt;
  Cursor c(line.substr(at + 13));
  std::string_view v = c.word();
  if (v.empty()) return std::nullopt;
  return std::string(v);
}

bool says_nvls_in_use(std::string_view line) {
  size_t info = line.find("NCCL INFO ");
  if (info == std::string_view::npos) return false;
  std::string_view after = line.substr(info + 10);
  return after.find("NVLS") != std::string_view::npos && line.find("comm") != std::string_view::npos &&
         line.find("NVLS multicast support is not available") == std::string_view::npos;
}

}  // namespace

TransportSummary parse_nccl_info_log(const std::string& text) {
  TransportSummary s;
  std::string_view all(text);
  while (!all.empty()) {
    size_t end = all.find('\n');
    std::string_view line = all.substr(0, end);
    all.remove_prefix(end == std::string_view::npos ? all.size() : end + 1);
    if (line.size() > kMaxLogLine) continue;
    if (auto r = parse_channel(line)) {
      ++s.count_by_transport[r->transport];
      s.routes.push_back(std::move(*r));
    } else if (s.nccl_version.empty()) {
      if (auto v = parse_version(line)) s.nccl_version = *v;
    }
    if (says_nvls_in_use(line)) s.nvls = true;
  }
  return s;
}

}  // namespace rigcheck::bench

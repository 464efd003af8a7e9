#include "rigcheck/bench/collectives.h"

#include <cstdlib>
#include <regex>
#include <sstream>

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

TransportSummary parse_nccl_info_log(const std::string& text) {
  // NCCL prints, per channel and peer (src/transport/*.cc, 2.19+ format):
  //   "<host>:<pid>:<tid> [<dev>] NCCL INFO Channel 00/0 : 0[0] -> 1[1] via P2P/CUMEM/read"
  // Older releases print the bus id in the brackets and no "/N" after the channel number.
  static const std::regex channel(
      R"(NCCL INFO Channel (\d+)(?:/\d+)? ?: (\d+)\[[^\]]*\] -> (\d+)\[[^\]]*\] (?:\[(?:send|receive)\] )?via (\S+(?: pointer)?))");
  static const std::regex version(R"(NCCL version (\S+))");
  static const std::regex nvls(R"(NCCL INFO .*NVLS)");
  TransportSummary s;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_search(line, m, channel)) {
      ChannelRoute r;
      r.channel = std::stoi(m[1]);
      r.from_rank = std::stoi(m[2]);
      r.to_rank = std::stoi(m[3]);
      r.detail = m[4];
      r.transport = r.detail.substr(0, r.detail.find('/'));
      ++s.count_by_transport[r.transport];
      s.routes.push_back(r);
    } else if (s.nccl_version.empty() && std::regex_search(line, m, version)) {
      s.nccl_version = m[1];
    }
    if (std::regex_search(line, nvls) && line.find("NVLS multicast support is not available") == std::string::npos &&
        line.find("NVLS") != std::string::npos && line.find("comm") != std::string::npos)
      s.nvls = true;
  }
  return s;
}

}  // namespace rigcheck::bench

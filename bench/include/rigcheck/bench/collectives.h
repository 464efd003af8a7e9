#pragma once
// NCCL collectives: what each one moves, nccl-tests' algbw/busbw definitions, size sweeps, and
// the parser of NCCL's INFO log that says which transport each channel took.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace rigcheck::bench {

enum class Collective { all_reduce, all_gather, reduce_scatter, broadcast, reduce, all_to_all, send_recv };

const char* to_string(Collective c);                       // "allreduce", "allgather", … (the CLI names)
std::optional<Collective> collective_from_name(const std::string& name);
const std::vector<Collective>& all_collectives();

// busbw = algbw x factor, as nccl-tests' doc/PERFORMANCE.md defines it, so that busbw reflects
// the hardware bottleneck whatever the rank count: all-reduce 2(n-1)/n; all-gather,
// reduce-scatter and all-to-all (n-1)/n; broadcast, reduce and send/recv 1.
double bus_factor(Collective c, int ranks);

// Sizes from `min` to `max` bytes, doubling (nccl-tests' -f 2).
std::vector<uint64_t> size_sweep(uint64_t min_bytes, uint64_t max_bytes);

// "8B:1GiB" -> {8, 1073741824}; nullopt when malformed.
std::optional<std::pair<uint64_t, uint64_t>> parse_size_range(const std::string& text);

struct CollectiveResult {
  Collective op = Collective::all_reduce;
  uint64_t bytes = 0;      // nccl-tests' "size": the buffer size it reports
  uint64_t count = 0;      // elements of `type`
  std::string type = "float";
  bool in_place = false;
  double time_us = 0;      // per operation
  double algbw_gbps = 0;   // bytes / time
  double busbw_gbps = 0;   // algbw x bus_factor
  std::string check;       // "ok", "wrong", "hang", "error", "skipped"
};

// Fills algbw and busbw from bytes and time_us.
void compute_bandwidths(CollectiveResult& r, int ranks);

// One "Channel NN/M : a[x] -> b[y] via P2P/CUMEM" line of NCCL_DEBUG=INFO output.
struct ChannelRoute {
  int channel = 0;
  int from_rank = 0;
  int to_rank = 0;
  std::string transport;  // "P2P", "SHM", "NET", "NVLS", "COLLNET"
  std::string detail;     // "P2P/CUMEM/read", "SHM/direct/direct", "NET/IB/0"
};

struct TransportSummary {
  std::vector<ChannelRoute> routes;
  std::map<std::string, int> count_by_transport;  // "P2P" -> 12
  std::string nccl_version;                       // from "NCCL version 2.28.9+cuda13.0"
  bool nvls = false;                              // NVLink SHARP in use
};

TransportSummary parse_nccl_info_log(const std::string& text);

}  // namespace rigcheck::bench

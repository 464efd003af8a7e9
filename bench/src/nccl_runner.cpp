// Real NCCL collectives. Everything that touches CUDA or NCCL runs in forked workers (the caller
// never initialises either): one worker driving all GPUs (ncclCommInitAll), or one worker per GPU
// joined by an ncclUniqueId that rank 0's worker makes (ncclCommInitRank, see rank_launcher.h),
// which is how PyTorch and vLLM run and which takes NCCL's inter-process transports (P2P/CUMEM or
// P2P/IPC).

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <tuple>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "rigcheck/bench/collective_runner.h"
#include "rigcheck/bench/isolation.h"
#include "rigcheck/bench/rank_launcher.h"
#include "rigcheck/topology/versions.h"

#if RIGCHECK_HAVE_NCCL
#include <cuda_runtime_api.h>
#include <nccl.h>

#include "rigcheck/kernels/collective_kernels.h"
#include "rigcheck/kernels/cuda_check.h"
#include "rigcheck/kernels/pattern.h"
#include "rigcheck/topology/cuda_status.h"
#endif

namespace rigcheck::bench {

#if RIGCHECK_HAVE_NCCL

namespace {

using kernels::check;
using nlohmann::json;

void check_nccl(ncclResult_t r, const char* what) {
  if (r != ncclSuccess) throw kernels::CudaError(std::string(what) + ": " + ncclGetErrorString(r));
}

// What every element of rank `rank`'s receive buffer must hold, element index `i` of `count`,
// when rank r's send buffer holds r + 1 everywhere (sum reductions, root 0).
float expected_value(Collective op, int rank, int n, size_t i, size_t count) {
  const float sum = static_cast<float>(n * (n + 1) / 2);
  switch (op) {
    case Collective::all_reduce:
    case Collective::reduce_scatter: return sum;
    case Collective::reduce: return rank == 0 ? sum : -1.0f;  // -1: not checked on non-root ranks
    case Collective::broadcast: return 1.0f;
    case Collective::all_gather:
    case Collective::all_to_all: return static_cast<float>(i / (count / n) + 1);
    case Collective::send_recv: return static_cast<float>((rank - 1 + n) % n + 1);
  }
  return 0;
}

// Element counts of the send and receive buffers for nccl-tests' "size" in bytes.
void counts_for(Collective op, uint64_t bytes, int n, size_t& send, size_t& recv) {
  const size_t total = bytes / sizeof(float) / n * n;  // divisible by the rank count
  switch (op) {
    case Collective::all_gather: send = total / n, recv = total; break;
    case Collective::reduce_scatter: send = total, recv = total / n; break;
    default: send = recv = total; break;
  }
}

struct Rank {
  int device = 0;
  int rank = 0;
  ncclComm_t comm = nullptr;
  cudaStream_t stream = nullptr;
  float* send = nullptr;
  float* recv = nullptr;
  unsigned long long* first_bad = nullptr;
};

void launch(Collective op, Rank& r, int n, size_t send_count, size_t recv_count, bool in_place) {
  float* dst = r.recv;
  const float* src = in_place ? r.recv : r.send;
  if (in_place && op == Collective::all_gather) src = r.recv + r.rank * send_count;  // nccl-tests' in-place layout
  if (in_place && op == Collective::reduce_scatter) dst = r.recv + r.rank * recv_count, src = r.recv;
  switch (op) {
    case Collective::all_reduce:
      check_nccl(ncclAllReduce(src, dst, send_count, ncclFloat, ncclSum, r.comm, r.stream), "ncclAllReduce");
      break;
    case Collective::all_gather:
      check_nccl(ncclAllGather(src, dst, send_count, ncclFloat, r.comm, r.stream), "ncclAllGather");
      break;
    case Collective::reduce_scatter:
      check_nccl(ncclReduceScatter(src, dst, recv_count, ncclFloat, ncclSum, r.comm, r.stream), "ncclReduceScatter");
      break;
    case Collective::broadcast:
      check_nccl(ncclBroadcast(src, dst, send_count, ncclFloat, 0, r.comm, r.stream), "ncclBroadcast");
      break;
    case Collective::reduce:
      check_nccl(ncclReduce(src, dst, send_count, ncclFloat, ncclSum, 0, r.comm, r.stream), "ncclReduce");
      break;
    case Collective::all_to_all: {
      const size_t chunk = send_count / n;
      for (int peer = 0; peer < n; ++peer) {
        check_nccl(ncclSend(src + peer * chunk, chunk, ncclFloat, peer, r.comm, r.stream), "ncclSend");
        check_nccl(ncclRecv(dst + peer * chunk, chunk, ncclFloat, peer, r.comm, r.stream), "ncclRecv");
      }
      break;
    }
    case Collective::send_recv:
      check_nccl(ncclSend(src, send_count, ncclFloat, (r.rank + 1) % n, r.comm, r.stream), "ncclSend");
      check_nccl(ncclRecv(dst, send_count, ncclFloat, (r.rank - 1 + n) % n, r.comm, r.stream), "ncclRecv");
      break;
  }
}

bool verify(Collective op, Rank& r, int n, size_t recv_count, bool in_place) {
  const float* result = r.recv;
  if (in_place && op == Collective::reduce_scatter) result = r.recv + r.rank * recv_count;
  const bool chunked = op == Collective::all_gather || op == Collective::all_to_all;
  const size_t pieces = chunked ? static_cast<size_t>(n) : 1, piece = recv_count / pieces;
  for (size_t p = 0; p < pieces; ++p) {
    const float want = expected_value(op, r.rank, n, p * piece, recv_count);
    if (want < 0) return true;
    const unsigned long long none = kernels::kNoMismatch;
    check(cudaMemcpyAsync(r.first_bad, &none, sizeof none, cudaMemcpyHostToDevice, r.stream), "cudaMemcpyAsync");
    check(kernels::launch_verify_float(result + p * piece, piece, want, r.first_bad, r.stream), "verify kernel");
    unsigned long long bad = 0;
    check(cudaMemcpyAsync(&bad, r.first_bad, sizeof bad, cudaMemcpyDeviceToHost, r.stream), "cudaMemcpyAsync");
    check(cudaStreamSynchronize(r.stream), "verify");
    if (bad != kernels::kNoMismatch) return false;
  }
  return true;
}

// Runs the sweep on the ranks this process drives; returns nccl-tests-like rows as JSON.
json run_sweep(std::vector<Rank>& ranks, int n, const CollectiveOptions& o) {
  uint64_t max_bytes = 0;
  for (uint64_t s : o.sizes) max_bytes = std::max(max_bytes, s);
  const size_t max_count = max_bytes / sizeof(float) + n;
  for (Rank& r : ranks) {
    check(cudaSetDevice(r.device), "cudaSetDevice");
    check(cudaStreamCreateWithFlags(&r.stream, cudaStreamNonBlocking), "cudaStreamCreate");
    check(cudaMalloc(reinterpret_cast<void**>(&r.send), max_count * sizeof(float)), "cudaMalloc");
    check(cudaMalloc(reinterpret_cast<void**>(&r.recv), max_count * sizeof(float)), "cudaMalloc");
    check(cudaMalloc(reinterpret_cast<void**>(&r.first_bad), sizeof(unsigned long long)), "cudaMalloc");
  }
  json rows = json::array();
  for (Collective op : o.ops) {
    for (bool in_place : {false, true}) {
      for (uint64_t bytes : o.sizes) {
        size_t send_count = 0, recv_count = 0;
        counts_for(op, bytes, n, send_count, recv_count);
        json row = {{"op", to_string(op)}, {"bytes", bytes}, {"count", send_count}, {"in_place", in_place}};
        if (send_count == 0 || (op == Collective::all_to_all && send_count < static_cast<size_t>(n))) {
          row["check"] = "skipped";
          rows.push_back(row);
          continue;
        }
        auto fill = [&] {
          for (Rank& r : ranks) {
            check(cudaSetDevice(r.device), "cudaSetDevice");
            float* target = in_place ? r.recv : r.send;
            size_t count = in_place && op == Collective::all_gather ? recv_count : send_count;
            check(kernels::launch_fill_float(target, count, static_cast<float>(r.rank + 1), r.stream), "fill kernel");
            check(cudaStreamSynchronize(r.stream), "fill");
          }
        };
        auto once = [&] {
          check_nccl(ncclGroupStart(), "ncclGroupStart");
          for (Rank& r : ranks) launch(op, r, n, send_count, recv_count, in_place);
          check_nccl(ncclGroupEnd(), "ncclGroupEnd");
        };
        // Correctness first, on freshly filled buffers.
        fill();
        once();
        bool ok = true;
        for (Rank& r : ranks) {
          check(cudaSetDevice(r.device), "cudaSetDevice");
          check(cudaStreamSynchronize(r.stream), "collective");
          ok = ok && verify(op, r, n, recv_count, in_place);
        }
        // Then timing: warm-up, then iterations between two events on the first local rank.
        for (int i = 0; i < o.warmup_iterations; ++i) once();
        Rank& first = ranks.front();
        cudaEvent_t start, stop;
        check(cudaSetDevice(first.device), "cudaSetDevice");
        check(cudaEventCreate(&start), "cudaEventCreate");
        check(cudaEventCreate(&stop), "cudaEventCreate");
        for (Rank& r : ranks) check(cudaStreamSynchronize(r.stream), "warm-up");
        check(cudaEventRecord(start, first.stream), "cudaEventRecord");
        for (int i = 0; i < o.iterations; ++i) once();
        check(cudaSetDevice(first.device), "cudaSetDevice");
        check(cudaEventRecord(stop, first.stream), "cudaEventRecord");
        for (Rank& r : ranks) check(cudaStreamSynchronize(r.stream), "timed collectives");
        float ms = 0;
        check(cudaEventElapsedTime(&ms, start, stop), "cudaEventElapsedTime");
        cudaEventDestroy(start);
        cudaEventDestroy(stop);
        row["time_us"] = ms * 1000.0 / o.iterations;
        row["check"] = ok ? "ok" : "wrong";
        rows.push_back(row);
      }
    }
  }
  return rows;
}

std::string read_logs(const std::string& dir, std::string& topology_xml) {
  std::string all;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.path().filename() == "topology.xml") {
      std::ifstream in(e.path());
      std::ostringstream ss;
      ss << in.rdbuf();
      topology_xml = ss.str();
      continue;
    }
    std::ifstream in(e.path());
    std::ostringstream ss;
    ss << in.rdbuf();
    all += ss.str();
  }
  std::filesystem::remove_all(dir, ec);
  return all;
}

// The run's status when a worker did not succeed: the worker that failed first, with its own
// error (not the siblings it took down), else the first that hung.
std::optional<std::pair<std::string, std::string>> group_failure(const GroupOutcome& g, ProcessModel process) {
  auto named = [&](size_t i) {
    return process == ProcessModel::per_gpu ? "rank " + std::to_string(i) + ": " + g.outcomes[i].detail : g.outcomes[i].detail;
  };
  if (g.first_failure >= 0)
    return std::pair{std::string(IsolatedOutcome::to_string(g.outcomes[g.first_failure].kind)), named(static_cast<size_t>(g.first_failure))};
  for (size_t i = 0; i < g.outcomes.size(); ++i)
    if (g.outcomes[i].kind != IsolatedOutcome::Kind::ok) return std::pair{std::string(IsolatedOutcome::to_string(g.outcomes[i].kind)), named(i)};
  return std::nullopt;
}

CollectiveResult row_to_result(const json& row, int n) {
  CollectiveResult r;
  r.op = *collective_from_name(row.at("op"));
  r.bytes = row.at("bytes");
  r.count = row.at("count");
  r.in_place = row.at("in_place");
  r.check = row.at("check");
  r.time_us = row.value("time_us", 0.0);
  compute_bandwidths(r, n);
  return r;
}

}  // namespace

CollectiveRun run_nccl_collectives(const topology::Topology& t, const CollectiveOptions& o) {
  CollectiveRun run;
  run.process = o.process;
  run.p2p_disabled = o.p2p_disabled;
  int v = 0;
  ncclGetVersion(&v);
  run.backend = "NCCL " + topology::nccl_version_text(v);
  // Ask CUDA in a worker whether there is a device at all, so the answer is one clear line.
  IsolatedOutcome probe = run_isolated(
      [] {
        int count = 0, driver = 0;
        cudaError_t e = cudaGetDeviceCount(&count);
        cudaDriverGetVersion(&driver);
        if (e != cudaSuccess) return json{{"why", topology::explain_cuda_device_count_error(static_cast<int>(e), driver, cudaGetErrorName(e))}};
        return json{{"count", count}};
      },
      60);
  if (probe.kind != IsolatedOutcome::Kind::ok || probe.result.contains("why") || probe.result.value("count", 0) == 0) {
    run.status = "unavailable";
    run.detail = probe.kind != IsolatedOutcome::Kind::ok ? "CUDA could not be queried: " + probe.detail
                 : probe.result.contains("why")         ? probe.result.at("why").get<std::string>()
                                                        : "CUDA reports no GPU";
    return run;
  }
  std::vector<int> devices;
  for (const auto& g : t.gpus)
    if (o.gpus.empty() || std::find(o.gpus.begin(), o.gpus.end(), g.index) != o.gpus.end()) {
      if (g.cuda_index < 0) {
        run.status = "unavailable";
        run.detail = "GPU" + std::to_string(g.index) + " has no CUDA device (no driver?)";
        return run;
      }
      devices.push_back(g.cuda_index);
    }
  const int n = static_cast<int>(devices.size());
  run.ranks = n;
  char dir_template[] = "/tmp/rigcheck-nccl-XXXXXX";
  const char* dir = ::mkdtemp(dir_template);
  if (!dir) {
    run.status = "error";
    run.detail = std::string("mkdtemp: ") + std::strerror(errno);
    return run;
  }
  const std::string log_dir = dir;

  const NcclEnvironment env = nccl_environment(o.p2p_disabled, log_dir, [](const char* name) { return std::getenv(name); });
  run.environment_cleared = env.cleared;
  GroupOutcome group;
  if (o.process == ProcessModel::single) {
    group = run_isolated_group({[&]() -> json {
                                 apply(env);
                                 std::vector<ncclComm_t> comms(n);
                                 check_nccl(ncclCommInitAll(comms.data(), n, devices.data()), "ncclCommInitAll");
                                 std::vector<Rank> ranks(n);
                                 for (int i = 0; i < n; ++i) ranks[i] = Rank{devices[i], i, comms[i]};
                                 json rows = run_sweep(ranks, n, o);
                                 for (auto c : comms) ncclCommDestroy(c);
                                 return rows;
                               }},
                               {o.timeout_s, nullptr, true});
  } else {
    RankLaunch launch;
    launch.ranks = n;
    launch.environment = env;
    launch.timeout_s = o.timeout_s;
    launch.make_unique_id = [] {
      ncclUniqueId id;
      check_nccl(ncclGetUniqueId(&id), "ncclGetUniqueId");
      return std::string(id.internal, sizeof id.internal);
    };
    launch.run_rank = [&](int rank, const std::string& bytes) -> json {
      ncclUniqueId id;
      std::memcpy(id.internal, bytes.data(), std::min(bytes.size(), sizeof id.internal));
      check(cudaSetDevice(devices[rank]), "cudaSetDevice");
      ncclComm_t comm;
      check_nccl(ncclCommInitRank(&comm, n, id, rank), "ncclCommInitRank");
      std::vector<Rank> ranks{Rank{devices[rank], rank, comm}};
      json rows = run_sweep(ranks, n, o);
      ncclCommDestroy(comm);
      return rows;
    };
    group = launch_ranks(launch);
  }
  run.transports = parse_nccl_info_log(read_logs(log_dir, run.nccl_topology_xml));
  if (auto failure = group_failure(group, o.process)) {
    std::tie(run.status, run.detail) = *failure;
    return run;
  }
  const std::vector<IsolatedOutcome>& outcomes = group.outcomes;
  // Rank 0's timing stands for the collective (nccl-tests reports the slowest rank with -a 2;
  // rank 0's view is within noise of it for these sizes); any rank's wrong result marks the row.
  const json& rows = outcomes.front().result;
  for (size_t i = 0; i < rows.size(); ++i) {
    CollectiveResult r = row_to_result(rows[i], n);
    for (const auto& other : outcomes)
      if (other.result.at(i).at("check") == "wrong") r.check = "wrong";
    run.results.push_back(r);
  }
  return run;
}

#else

CollectiveRun run_nccl_collectives(const topology::Topology&, const CollectiveOptions& o) {
  CollectiveRun run;
  run.process = o.process;
  run.status = "unavailable";
  run.detail = "rigcheck was built without NCCL (RIGCHECK_NCCL=OFF): collectives cannot be measured; use --simulate "
               "RIG.json to see the model";
  return run;
}

#endif

}  // namespace rigcheck::bench

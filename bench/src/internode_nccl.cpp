// The inter-node step's NCCL calls, in an MPI rank's own process (see internode_nccl.h).

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "rigcheck/bench/internode_nccl.h"

#if RIGCHECK_HAVE_NCCL
#include <cuda_runtime_api.h>
#include <nccl.h>
#endif

extern char** environ;

namespace rigcheck::bench {

using nlohmann::json;

#if !RIGCHECK_HAVE_NCCL

json run_internode_rank(int mpi_rank, const NcclLayout&, const InterNodeOptions&, const InterNodeHooks&) {
  return {{"rank", mpi_rank},
          {"status", "unavailable"},
          {"detail", "this rigcheck was built without NCCL (RIGCHECK_NCCL=OFF), so nothing was measured between nodes"}};
}

#else

namespace {

using Clock = std::chrono::steady_clock;

struct Failure : std::runtime_error {
  Failure(const std::string& what, bool hang) : std::runtime_error(what), hang(hang) {}
  bool hang;
};

void nccl_check(ncclResult_t r, const char* what) {
  if (r != ncclSuccess && r != ncclInProgress) throw Failure(std::string(what) + ": " + ncclGetErrorString(r), false);
}

void cuda_check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw Failure(std::string(what) + ": " + cudaGetErrorString(e), false);
}

void pause() { std::this_thread::sleep_for(std::chrono::milliseconds(1)); }

Clock::time_point deadline_after(double s) {
  return Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

// The communicators of this rank (one per device it drives), and their registration with the
// caller's abort path. Destroyed in order at the end; aborted on any failure.
struct Comms {
  std::vector<ncclComm_t> comms;
  std::vector<int> hooks;
  const InterNodeHooks* h = nullptr;

  void track(ncclComm_t c) {
    comms.push_back(c);
    if (h && h->on_abort) hooks.push_back(h->on_abort([c] { ncclCommAbort(c); }));
  }
  void abort_all() {
    for (ncclComm_t c : comms)
      if (c) ncclCommAbort(c);
    release();
  }
  void destroy_all() {
    for (ncclComm_t c : comms)
      if (c) ncclCommDestroy(c);
    release();
  }
  void release() {
    if (h && h->drop_abort_hook)
      for (int id : hooks) h->drop_abort_hook(id);
    comms.clear(), hooks.clear();
  }
};

// Nonblocking communicators: every call may return ncclInProgress; the next call waits for the
// communicator's state to settle. A deadline turns a hang into a failure.
void settle(const std::vector<ncclComm_t>& comms, Clock::time_point deadline, const std::string& step) {
  for (;;) {
    bool pending = false;
    for (ncclComm_t c : comms) {
      ncclResult_t state = ncclSuccess;
      nccl_check(ncclCommGetAsyncError(c, &state), "ncclCommGetAsyncError");
      if (state == ncclInProgress) pending = true;
      else if (state != ncclSuccess) throw Failure(step + ": " + ncclGetErrorString(state), false);
    }
    if (!pending) return;
    if (Clock::now() >= deadline) throw Failure(step + " did not finish in time", true);
    pause();
  }
}

struct Device {
  int ordinal = 0;
  int nccl_rank = 0;
  cudaStream_t stream = nullptr;
  float* send = nullptr;
  float* recv = nullptr;
  cudaEvent_t start = nullptr, stop = nullptr;
};

void enqueue(Collective op, const Device& d, ncclComm_t comm, int n, uint64_t bytes) {
  const size_t total = bytes / sizeof(float) / n * n;
  switch (op) {
    case Collective::all_reduce:
      nccl_check(ncclAllReduce(d.send, d.recv, total, ncclFloat, ncclSum, comm, d.stream), "ncclAllReduce");
      break;
    case Collective::all_gather:
      nccl_check(ncclAllGather(d.send, d.recv, total / n, ncclFloat, comm, d.stream), "ncclAllGather");
      break;
    case Collective::reduce_scatter:
      nccl_check(ncclReduceScatter(d.send, d.recv, total / n, ncclFloat, ncclSum, comm, d.stream), "ncclReduceScatter");
      break;
    case Collective::all_to_all: {
      const size_t chunk = total / n;
      for (int peer = 0; peer < n; ++peer) {
        nccl_check(ncclSend(d.send + peer * chunk, chunk, ncclFloat, peer, comm, d.stream), "ncclSend");
        nccl_check(ncclRecv(d.recv + peer * chunk, chunk, ncclFloat, peer, comm, d.stream), "ncclRecv");
      }
      break;
    }
    default: throw Failure(std::string(to_string(op)) + " is not an inter-node collective", false);
  }
}

// Waits for every device's stop event; the slowest device's time per iteration, in µs.
double wait_and_time(std::vector<Device>& devices, const std::vector<ncclComm_t>& comms, int iterations, Clock::time_point deadline,
                     const std::string& step) {
  for (;;) {
    bool pending = false;
    for (const Device& d : devices) {
      const cudaError_t q = cudaEventQuery(d.stop);
      if (q == cudaErrorNotReady) pending = true;
      else cuda_check(q, "cudaEventQuery");
    }
    for (ncclComm_t c : comms) {  // a peer that failed shows here before the events would
      ncclResult_t state = ncclSuccess;
      nccl_check(ncclCommGetAsyncError(c, &state), "ncclCommGetAsyncError");
      if (state != ncclSuccess && state != ncclInProgress) throw Failure(step + ": " + ncclGetErrorString(state), false);
    }
    if (!pending) break;
    if (Clock::now() >= deadline) throw Failure(step + " did not finish in time", true);
    pause();
  }
  double slowest = 0;
  for (const Device& d : devices) {
    float ms = 0;
    cuda_check(cudaEventElapsedTime(&ms, d.start, d.stop), "cudaEventElapsedTime");
    slowest = std::max(slowest, static_cast<double>(ms) * 1e3 / iterations);
  }
  return slowest;
}

// Runs `iterations` of `op` on every device's communicator of one scope, after the warm-ups.
double time_collective(Collective op, std::vector<Device>& devices, const std::vector<ncclComm_t>& comms, int n, uint64_t bytes,
                       const InterNodeOptions& o, const std::string& step) {
  const auto deadline = deadline_after(o.timeout_s);
  for (int i = 0; i < o.warmup_iterations + o.iterations; ++i) {
    if (i == o.warmup_iterations)
      for (Device& d : devices) cuda_check(cudaSetDevice(d.ordinal), "cudaSetDevice"), cuda_check(cudaEventRecord(d.start, d.stream), "cudaEventRecord");
    nccl_check(ncclGroupStart(), "ncclGroupStart");
    for (size_t k = 0; k < devices.size(); ++k) enqueue(op, devices[k], comms[k], n, bytes);
    nccl_check(ncclGroupEnd(), "ncclGroupEnd");
    settle(comms, deadline, step);
  }
  for (Device& d : devices) cuda_check(cudaSetDevice(d.ordinal), "cudaSetDevice"), cuda_check(cudaEventRecord(d.stop, d.stream), "cudaEventRecord");
  return wait_and_time(devices, comms, o.iterations, deadline, step);
}

std::string read_log(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  std::string text = s.str();
  constexpr size_t kMaxLog = 4u << 20;  // INIT and NET lines of a few hundred channels fit easily
  if (text.size() > kMaxLog) text.resize(kMaxLog);
  return text;
}

std::string nccl_version() {
  int v = 0;
  if (ncclGetVersion(&v) != ncclSuccess) return "";
  return std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100) + "." + std::to_string(v % 100);
}

}  // namespace

json run_internode_rank(int mpi_rank, const NcclLayout& layout, const InterNodeOptions& o, const InterNodeHooks& hooks) {
  json part = {{"rank", mpi_rank}, {"status", "ok"}, {"detail", ""}, {"collectives", json::array()}, {"pairwise", json::array()}};
  part["environment"] = recorded_nccl_variables(environ);
  const int count = layout.devices_of_rank.at(static_cast<size_t>(mpi_rank));
  const int first = layout.first_nccl_rank.at(static_cast<size_t>(mpi_rank));
  const std::string dir = o.log_dir.empty() ? (std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") : o.log_dir;
  const std::string log_path = dir + "/rigcheck-nccl-rank" + std::to_string(mpi_rank) + "-" + std::to_string(::getpid()) + ".log";
  apply(internode_nccl_environment(log_path));  // before the first NCCL call of this process
  part["nccl_version"] = nccl_version();

  // Every rank takes part in the id's broadcast, even one that drives no GPU.
  std::string id_bytes;
  if (mpi_rank == 0) {
    ncclUniqueId id;
    const ncclResult_t r = ncclGetUniqueId(&id);
    if (r != ncclSuccess) throw std::runtime_error(std::string("ncclGetUniqueId: ") + ncclGetErrorString(r));
    id_bytes.assign(id.internal, sizeof id.internal);
  }
  id_bytes = hooks.broadcast_id(id_bytes);
  if (count == 0) part["detail"] = "drives no GPU (more ranks than GPUs on its node)";

  Comms world{{}, {}, &hooks};
  std::vector<Device> devices(static_cast<size_t>(count));
  auto fail = [&](const Failure& f) {
    world.abort_all();
    part["status"] = f.hang ? "hang" : "error";
    part["detail"] = f.what();
  };
  if (count > 0) try {
      ncclUniqueId id;
      if (id_bytes.size() != sizeof id.internal) throw Failure("the NCCL unique id arrived with " + std::to_string(id_bytes.size()) + " bytes", false);
      std::copy(id_bytes.begin(), id_bytes.end(), id.internal);
      uint64_t most = o.pairwise_bytes;
      for (uint64_t s : o.sizes) most = std::max(most, s);
      // One rank per GPU drives the GPU of its place on the node (its local rank), unless the
      // launcher already gave it only its own (CUDA_VISIBLE_DEVICES per task): then device 0.
      int visible = 0;
      cuda_check(cudaGetDeviceCount(&visible), "cudaGetDeviceCount");
      const int base = first_device(layout, mpi_rank, visible);
      if (base < 0)
        throw Failure("this rank drives " + std::to_string(count) + " GPU(s) but sees " + std::to_string(visible) +
                          " (CUDA_VISIBLE_DEVICES?)", false);
      for (int k = 0; k < count; ++k) {
        Device& d = devices[k];
        d.ordinal = base + k;
        d.nccl_rank = first + k;
        cuda_check(cudaSetDevice(d.ordinal), "cudaSetDevice");
        cuda_check(cudaStreamCreateWithFlags(&d.stream, cudaStreamNonBlocking), "cudaStreamCreate");
        cuda_check(cudaMalloc(reinterpret_cast<void**>(&d.send), most + 64), "cudaMalloc");
        cuda_check(cudaMalloc(reinterpret_cast<void**>(&d.recv), most + 64), "cudaMalloc");
        cuda_check(cudaMemset(d.send, 0, most + 64), "cudaMemset");
        cuda_check(cudaEventCreate(&d.start), "cudaEventCreate");
        cuda_check(cudaEventCreate(&d.stop), "cudaEventCreate");
      }
      ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
      config.blocking = 0;
      std::vector<ncclComm_t> made(static_cast<size_t>(count), nullptr);
      nccl_check(ncclGroupStart(), "ncclGroupStart");
      for (int k = 0; k < count; ++k) {
        cuda_check(cudaSetDevice(devices[k].ordinal), "cudaSetDevice");
        nccl_check(ncclCommInitRankConfig(&made[k], layout.nccl_ranks, id, first + k, &config), "ncclCommInitRankConfig");
      }
      nccl_check(ncclGroupEnd(), "ncclGroupEnd");
      for (ncclComm_t c : made) world.track(c);
      settle(world.comms, deadline_after(o.timeout_s), "NCCL's set-up over " + std::to_string(layout.nccl_ranks) + " ranks");

      for (CollectiveScope scope : scopes_to_run(layout)) {
        Comms split{{}, {}, &hooks};
        std::vector<ncclComm_t> comms = world.comms;
        int n = layout.nccl_ranks;
        try {
          if (scope != CollectiveScope::all) {
            std::vector<ncclComm_t> sub(static_cast<size_t>(count), nullptr);
            nccl_check(ncclGroupStart(), "ncclGroupStart");
            for (int k = 0; k < count; ++k)
              nccl_check(ncclCommSplit(world.comms[k], split_color(layout, scope, first + k), first + k, &sub[k], &config), "ncclCommSplit");
            nccl_check(ncclGroupEnd(), "ncclGroupEnd");
            for (ncclComm_t c : sub) split.track(c);
            settle(split.comms, deadline_after(o.timeout_s), std::string("ncclCommSplit (") + to_string(scope) + ")");
            comms = split.comms;
            nccl_check(ncclCommCount(comms[0], &n), "ncclCommCount");
          }
          for (Collective op : o.ops)
            for (uint64_t bytes : o.sizes) {
              const std::string step = std::string(to_string(op)) + " (" + to_string(scope) + ", " + std::to_string(bytes) + " bytes)";
              const double us = time_collective(op, devices, comms, n, bytes, o, step);
              part["collectives"].push_back({{"op", to_string(op)}, {"scope", to_string(scope)}, {"group", split_color(layout, scope, first)},
                                             {"group_ranks", n}, {"bytes", bytes}, {"time_us", us}, {"check", "ok"}});
            }
        } catch (...) {
          split.abort_all();
          throw;
        }
        split.destroy_all();
      }
    } catch (const Failure& f) {
      fail(f);
    }

  // Node leaders, one ordered pair at a time. Every rank joins every barrier, also one whose
  // collectives failed, so that the barriers of all ranks stay matched.
  for (const auto& [from, to] : leader_pairs(static_cast<int>(layout.gpus_of_node.size()))) {
    if (!hooks.barrier()) {
      if (part["status"] == "ok") fail(Failure("the barrier before the send/recv node" + std::to_string(from) + " -> node" + std::to_string(to) + " timed out", true));
      break;
    }
    const int src = layout.node_leader[from], dst = layout.node_leader[to];
    if (src < 0 || dst < 0 || count == 0 || world.comms.empty()) continue;
    const bool sends = first == src, receives = first == dst;
    if (!sends && !receives) continue;
    Device& d = devices[0];
    const std::string step = "send/recv node" + std::to_string(from) + " -> node" + std::to_string(to);
    try {
      const auto deadline = deadline_after(o.timeout_s);
      const size_t elements = o.pairwise_bytes / sizeof(float);
      cuda_check(cudaSetDevice(d.ordinal), "cudaSetDevice");
      for (int i = 0; i < o.warmup_iterations + o.iterations; ++i) {
        if (i == o.warmup_iterations) cuda_check(cudaEventRecord(d.start, d.stream), "cudaEventRecord");
        if (sends) nccl_check(ncclSend(d.send, elements, ncclFloat, dst, world.comms[0], d.stream), "ncclSend");
        else nccl_check(ncclRecv(d.recv, elements, ncclFloat, src, world.comms[0], d.stream), "ncclRecv");
        settle({world.comms[0]}, deadline, step);
      }
      cuda_check(cudaEventRecord(d.stop, d.stream), "cudaEventRecord");
      std::vector<Device> one{d};
      const double us = wait_and_time(one, {world.comms[0]}, o.iterations, deadline, step);
      if (receives)
        part["pairwise"].push_back({{"from_node", from}, {"to_node", to}, {"bytes", o.pairwise_bytes}, {"time_us", us}, {"check", "ok"}});
    } catch (const Failure& f) {
      if (receives) part["pairwise"].push_back({{"from_node", from}, {"to_node", to}, {"bytes", o.pairwise_bytes}, {"time_us", 0}, {"check", f.hang ? "hang" : "error"}});
      fail(f);
    }
  }
  if (!world.comms.empty()) world.destroy_all();
  for (Device& d : devices) {
    if (!d.stream) continue;
    cudaSetDevice(d.ordinal);
    cudaFree(d.send), cudaFree(d.recv), cudaEventDestroy(d.start), cudaEventDestroy(d.stop), cudaStreamDestroy(d.stream);
  }
  part["log"] = read_log(log_path);
  ::unlink(log_path.c_str());
  return part;
}

#endif

}  // namespace rigcheck::bench

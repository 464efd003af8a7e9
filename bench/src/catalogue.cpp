#include "rigcheck/bench/catalogue.h"

#include <algorithm>
#include <limits>

namespace rigcheck::bench {

namespace {

using K = TestKind;
using S = TestShape;

}  // namespace

const std::vector<TestSpec>& catalogue() {
  static const std::vector<TestSpec> tests = {
      {"host_to_device_ce", "pinned host memory -> GPU, copy engine, one GPU at a time", K::bandwidth, S::per_gpu, Engine::ce},
      {"device_to_host_ce", "GPU -> pinned host memory, copy engine", K::bandwidth, S::per_gpu, Engine::ce},
      {"host_to_device_bidir_ce", "host -> GPU measured while GPU -> host runs (2x bytes) on the same GPU", K::bandwidth, S::per_gpu, Engine::ce},
      {"device_to_host_bidir_ce", "GPU -> host measured while host -> GPU runs (2x bytes)", K::bandwidth, S::per_gpu, Engine::ce},
      {"all_to_host_ce", "GPU -> host measured while every other GPU also copies to host", K::bandwidth, S::per_gpu, Engine::ce},
      {"host_to_all_ce", "host -> GPU measured while the host also copies to every other GPU", K::bandwidth, S::per_gpu, Engine::ce},
      {"device_to_device_read_ce", "row GPU -> column GPU, copy issued by the column (destination) GPU: it reads the row GPU's memory", K::bandwidth, S::per_pair, Engine::ce},
      {"device_to_device_write_ce", "row GPU -> column GPU, copy issued by the row (source) GPU: it writes the column GPU's memory", K::bandwidth, S::per_pair, Engine::ce},
      {"device_to_device_bidir_ce", "row <-> column at once; row -> column per direction (total beside)", K::bandwidth, S::per_pair, Engine::ce},
      {"all_to_one_write_ce", "every other GPU writes into this GPU at once (total inbound)", K::bandwidth, S::per_gpu, Engine::ce},
      {"one_to_all_write_ce", "this GPU writes to every other GPU at once (total outbound)", K::bandwidth, S::per_gpu, Engine::ce},
      {"device_local_copy_ce", "copy between two buffers on the same GPU (bytes copied, not DRAM traffic)", K::bandwidth, S::per_gpu, Engine::ce},
      {"host_to_device_sm", "pinned host memory -> GPU, SM copy kernel on the GPU", K::bandwidth, S::per_gpu, Engine::sm},
      {"device_to_host_sm", "GPU -> pinned host memory, SM copy kernel", K::bandwidth, S::per_gpu, Engine::sm},
      {"host_device_bidir_sm", "split-warp kernel: half the warps copy host -> GPU, half GPU -> host; per direction (total beside)", K::bandwidth, S::per_gpu, Engine::sm},
      {"device_to_device_read_sm", "row GPU -> column GPU, kernel on the column (destination) GPU loads the row GPU's memory", K::bandwidth, S::per_pair, Engine::sm},
      {"device_to_device_write_sm", "row GPU -> column GPU, kernel on the row (source) GPU stores to the column GPU's memory", K::bandwidth, S::per_pair, Engine::sm},
      {"device_to_device_bidir_sm", "row <-> column at once with kernels; row -> column per direction (total beside)", K::bandwidth, S::per_pair, Engine::sm},
      {"host_latency_sm", "pointer chase from the GPU through pinned host memory (ns per access)", K::latency, S::per_gpu, Engine::sm},
      {"device_to_device_latency_sm", "pointer chase from the row GPU through the column GPU's memory", K::latency, S::per_pair, Engine::sm},
  };
  return tests;
}

const TestSpec* find_test(std::string_view name) {
  for (const auto& t : catalogue())
    if (t.name == name) return &t;
  return nullptr;
}

std::string CellPlan::name() const {
  if (row >= 0) return test + "/gpu" + std::to_string(row) + "-gpu" + std::to_string(col);
  return test + "/gpu" + std::to_string(col);
}

namespace {

Transfer make(Endpoint src, Endpoint dst, Engine e, Initiator i, uint64_t bytes, bool measured = true) {
  Transfer t;
  t.src = src;
  t.dst = dst;
  t.engine = e;
  t.initiator = i;
  t.bytes = bytes;
  t.measured = measured;
  return t;
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// Fills transfers, direction, aggregation and bytes for one per-GPU cell.
void plan_gpu_cell(const TestSpec& spec, int g, const std::vector<int>& gpus, uint64_t bytes, const Backend& backend,
                   int peer_limit, CellPlan& c) {
  const Endpoint host = Endpoint::host(), gpu = Endpoint::device(g);
  const Engine e = spec.engine;
  const std::string& n = spec.name;
  c.direction = "uni";
  if (starts_with(n, "host_to_device")) {
    c.src = host, c.dst = gpu, c.initiator = Initiator::dst;
    c.transfers = {make(host, gpu, e, Initiator::dst, bytes)};
    if (n == "host_to_device_bidir_ce") {
      c.direction = "bi";
      // Twice the bytes so the interference lasts the whole measured copy.
      c.transfers.push_back(make(gpu, host, e, Initiator::src, 2 * bytes, false));
    }
  } else if (starts_with(n, "device_to_host")) {
    c.src = gpu, c.dst = host, c.initiator = Initiator::src;
    c.transfers = {make(gpu, host, e, Initiator::src, bytes)};
    if (n == "device_to_host_bidir_ce") {
      c.direction = "bi";
      c.transfers.push_back(make(host, gpu, e, Initiator::dst, 2 * bytes, false));
    }
  } else if (n == "host_device_bidir_sm") {
    c.src = host, c.dst = gpu, c.initiator = Initiator::dst, c.direction = "bi";
    Transfer t = make(host, gpu, e, Initiator::dst, bytes);
    t.split_bidirectional = true;
    c.transfers = {t};
    c.bytes_counted = bytes;  // one kernel moves `bytes` each way: per direction, bytes over its time
    c.total_bytes = 2 * bytes;
  } else if (n == "all_to_host_ce" || n == "host_to_all_ce") {
    const bool to_host = n == "all_to_host_ce";
    c.src = to_host ? gpu : host, c.dst = to_host ? host : gpu;
    c.initiator = to_host ? Initiator::src : Initiator::dst;
    c.transfers = {make(c.src, c.dst, e, c.initiator, bytes)};
    for (int other : gpus) {
      if (other == g) continue;
      Endpoint o = Endpoint::device(other);
      c.transfers.push_back(make(to_host ? o : host, to_host ? host : o, e, c.initiator, 2 * bytes, false));
    }
  } else if (n == "all_to_one_write_ce" || n == "one_to_all_write_ce") {
    const bool inbound = n == "all_to_one_write_ce";
    c.src = inbound ? Endpoint::device(-1) : gpu;
    c.dst = inbound ? gpu : Endpoint::device(-1);
    c.initiator = Initiator::src;
    c.aggregation = Aggregation::total;
    for (int other : gpus) {
      if (other == g) continue;
      Endpoint o = Endpoint::device(other);
      // Only peers that can reach this GPU directly take part: this test is about P2P fan-in/out.
      // Each copy is issued by its source, which maps the destination's memory.
      if (backend.peer_path(inbound ? other : g, inbound ? g : other, e) != PeerPath::direct) continue;
      // The writing GPU of one_to_all maps every destination: no more than CUDA allows at once.
      if (!inbound && static_cast<int>(c.transfers.size()) >= peer_limit) break;
      c.transfers.push_back(make(inbound ? o : gpu, inbound ? gpu : o, e, Initiator::src, bytes));
    }
    c.bytes_counted = bytes * c.transfers.size();
  } else if (n == "device_local_copy_ce") {
    c.src = gpu, c.dst = gpu, c.initiator = Initiator::src;
    c.transfers = {make(gpu, gpu, e, Initiator::src, bytes)};
  } else if (n == "host_latency_sm") {
    c.src = gpu, c.dst = host, c.initiator = Initiator::src;
  }
  if (c.bytes_counted == 0) c.bytes_counted = bytes;
}

void plan_pair_cell(const TestSpec& spec, int a, int b, uint64_t bytes, const Backend& backend, CellPlan& c) {
  const Endpoint src = Endpoint::device(a), dst = Endpoint::device(b);
  const Engine e = spec.engine;
  const std::string& n = spec.name;
  c.src = src, c.dst = dst;
  // The path as the issuing GPU sees it: a write is issued by a, which maps b's memory; a read by
  // b, which maps a's; latency chases from a through b's memory.
  c.path = backend.peer_path(a, b, e);
  c.direction = "uni";
  c.bytes_counted = bytes;
  if (n.find("_read_") != std::string::npos) {
    c.initiator = Initiator::dst;
    c.path = backend.peer_path(b, a, e);
    c.transfers = {make(src, dst, e, Initiator::dst, bytes)};
  } else if (n.find("_write_") != std::string::npos) {
    c.initiator = Initiator::src;
    c.transfers = {make(src, dst, e, Initiator::src, bytes)};
  } else if (n.find("_bidir_") != std::string::npos) {
    c.initiator = Initiator::src, c.direction = "bi";
    c.transfers = {make(src, dst, e, Initiator::src, bytes), make(dst, src, e, Initiator::src, bytes)};
    c.bytes_counted = bytes;  // row -> column while column -> row runs; both are verified
    c.total_bytes = 2 * bytes;
    if (backend.peer_path(b, a, e) != PeerPath::direct) c.path = backend.peer_path(b, a, e);
  } else {  // latency
    c.initiator = Initiator::src;
  }
}

// The slowest theoretical rate among the links the cell's transfers can cross: each GPU's host
// path, and for GPU pairs the pair's own bottleneck (NVLink or PCIe). A lower bound is all the
// timeouts need.
double path_gbps(const topology::Topology& t, const CellPlan& c) {
  double slowest = 0;
  auto take = [&](double gbps) {
    if (gbps > 0 && (slowest == 0 || gbps < slowest)) slowest = gbps;
  };
  for (const Transfer& tr : c.transfers) {
    for (const Endpoint& e : {tr.src, tr.dst})
      if (!e.is_host() && e.gpu >= 0 && e.gpu < static_cast<int>(t.gpus.size())) take(t.gpus[e.gpu].host_path.gbps);
    if (!tr.src.is_host() && !tr.dst.is_host() && tr.src.gpu != tr.dst.gpu)
      if (const auto* p = t.pair(std::min(tr.src.gpu, tr.dst.gpu), std::max(tr.src.gpu, tr.dst.gpu))) take(p->bottleneck.gbps);
  }
  if (c.transfers.empty())  // latency cells
    for (int g : {c.row, c.col})
      if (g >= 0 && g < static_cast<int>(t.gpus.size())) take(t.gpus[g].host_path.gbps);
  return slowest;
}

}  // namespace

int peer_mapping_limit(const topology::Topology& t) {
  for (const auto& p : t.pairs)
    if (p.via_nvswitch) return std::numeric_limits<int>::max();
  return 8;
}

std::vector<CellPlan> plan_cells(const TestSpec& spec, const topology::Topology& t, const Backend& backend,
                                 const PlanOptions& options) {
  std::vector<int> gpus = options.gpus;
  if (gpus.empty())
    for (const auto& g : t.gpus) gpus.push_back(g.index);
  std::vector<CellPlan> cells;
  const int peer_limit = peer_mapping_limit(t);
  auto base = [&](int row, int col) {
    CellPlan c;
    c.test = spec.name;
    c.row = row;
    c.col = col;
    c.engine = spec.engine;
    return c;
  };
  if (spec.shape == TestShape::per_gpu) {
    for (int g : gpus) {
      CellPlan c = base(-1, g);
      plan_gpu_cell(spec, g, gpus, options.bytes, backend, peer_limit, c);
      c.path_gbps = path_gbps(t, c);
      c.concurrency = std::max<int>(1, static_cast<int>(c.transfers.size()) + (c.transfers.size() == 1 && c.transfers[0].split_bidirectional));
      cells.push_back(std::move(c));
    }
  } else {
    for (int a : gpus)
      for (int b : gpus) {
        if (a == b) continue;
        CellPlan c = base(a, b);
        plan_pair_cell(spec, a, b, options.bytes, backend, c);
        c.path_gbps = path_gbps(t, c);
        c.concurrency = std::max<int>(1, static_cast<int>(c.transfers.size()));
        cells.push_back(std::move(c));
      }
  }
  return cells;
}

}  // namespace rigcheck::bench

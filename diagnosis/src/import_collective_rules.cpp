// Imported nccl-tests figures against the same expectation a live run uses: the ring model of
// the healthy version of the machine the import knows (diagnosis::expected_collectives on the
// assumed topology), at the largest size the paste measured. What the model had to assume is
// said on every verdict: with no topology pasted, the NVLink the GPU model implies
// (ingest/src/implied_nvlink.h), or for SXM GPUs of no supported layout no verdict at all, since
// a PCIe ring is known to be wrong for them. A run over several hosts crosses their network,
// which one node's model does not describe: its GPUs are listed per host and its figures are not
// judged.

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>

#include "import_util.h"
#include "rigcheck/diagnosis/catalogue.h"
#include "rigcheck/diagnosis/collective_rules.h"
#include "rigcheck/diagnosis/expected.h"
#include "rigcheck/diagnosis/import_rules.h"

namespace rigcheck::diagnosis {

namespace {

using detail::FindingSet;

// Each judgement simulates the ring on the model: a paste of thousands of runs, or of a run over
// thousands of ranks, is not simulated without end (the evidence lists 12 lines anyway).
constexpr size_t kMaxJudgedCollectives = 16;
constexpr size_t kMaxJudgedRanks = 256;

std::string name_of(const ingest::ImportedCollective& c) {
  return (c.op.empty() ? std::string("nccl-tests") : c.op + "_perf") + " at " + detail::at(c.from);
}

// "all_reduce" (nccl-tests' program name) -> Collective; nullopt for those rigcheck does not model.
std::optional<bench::Collective> collective_of(std::string op) {
  std::string flat;
  for (char ch : op)
    if (ch != '_') flat += ch;
  return bench::collective_from_name(flat);
}

// "host-a: 8x NVIDIA H100 80GB HBM3 (devices 0-7, 0000:04:00.0 …)".
std::string host_summary(const ingest::ImportedHost& h) {
  std::map<std::string, int> models;
  for (const auto& g : h.gpus) ++models[g.name.empty() ? "GPU (no name given)" : g.name];
  std::string s = h.name + ":";
  bool first = true;
  for (const auto& [name, n] : models) s += (first ? " " : ", ") + std::to_string(n) + "x " + name, first = false;
  std::string buses;
  for (size_t i = 0; i < h.gpus.size() && i < 8; ++i)
    if (h.gpus[i].address) buses += (buses.empty() ? "" : " ") + h.gpus[i].address->str();
  if (h.gpus.size() > 8 && !buses.empty()) buses += " …";
  return s + (buses.empty() ? "" : " (" + buses + ")");
}

void multi_host(const ingest::PartialMachine& m, const ingest::ImportedCollective& c, FindingSet& out) {
  std::vector<std::string> names;
  for (const auto& r : c.rank_devices)
    if (std::find(names.begin(), names.end(), r.host) == names.end()) names.push_back(r.host);
  std::string hosts;
  for (const auto& n : names)
    for (const auto& h : m.hosts)
      if (h.name == n) hosts += (hosts.empty() ? "" : "; ") + host_summary(h);
  out.add(make_finding("import-collective-multi-host"),
          "IMPORTED " + name_of(c) + ": " + std::to_string(c.ranks) + " ranks on " + std::to_string(c.hosts) + " hosts — " + hosts +
              ". The machine model is the first host's; busbw here includes the hosts' network, so it is not judged against it");
}

// The ranks' GPUs as positions in the assumed topology, in rank order; empty when a rank's GPU
// is not one of the modelled host's or its card is not in rigcheck's model table.
std::vector<int> rank_positions(const ingest::ImportedCollective& c, const ingest::MachineModel& mm, std::string& why) {
  std::vector<int> out;
  for (const auto& r : c.rank_devices) {
    const int pos = ingest::position_of(mm, r.device);
    if (pos < 0 || !mm.model_known[pos]) {
      why = pos < 0 ? "rank " + std::to_string(r.rank) + "'s GPU is not in the model" : r.name + " is not in rigcheck's model table";
      return {};
    }
    out.push_back(pos);
  }
  return out;
}

const ingest::CollectiveRow* largest(const ingest::ImportedCollective& c) {
  const ingest::CollectiveRow* best = nullptr;
  for (const auto& r : c.rows)
    if (!r.in_place && r.busbw > 0 && (!best || r.bytes > best->bytes)) best = &r;
  return best;
}

// What the model of an import had to assume about the GPUs' paths, for the verdict line.
std::string assumed_paths(const ingest::PartialMachine& m, const ingest::MachineModel& mm) {
  if (!mm.nvlink_assumed.empty()) return "assuming the GPUs' NVLink (" + mm.nvlink_assumed + ")";
  bool nvlink = false, path = false, p2p = false;
  for (const auto& p : m.pairs) nvlink |= p.nvlink_links > 0, path |= p.path.has_value(), p2p |= p.p2p_granted == true;
  const std::string peer = p2p ? "P2P where an input grants it" : "no input grants P2P, so every hop is staged through host memory as NCCL's SHM does";
  if (nvlink) return "assumed: NVLink as nvidia-smi topo -m gives it, " + peer;
  if (path) return "assumed: PCIe paths from nvidia-smi topo -m, no NVLink, " + peer;
  return "assumed: no input gives the GPUs' paths: each GPU on its own PCIe root port at the card's maximum link, no NVLink, " + peer;
}

void judge(const ingest::PartialMachine& m, const ingest::MachineModel& mm, const ingest::ImportedCollective& c, FindingSet& out) {
  const auto op = collective_of(c.op);
  const ingest::CollectiveRow* row = largest(c);
  if (!op || !row || c.rank_devices.size() < 2) return;
  std::string why;
  std::vector<int> gpus = rank_positions(c, mm, why);
  std::vector<int> distinct = gpus;
  std::sort(distinct.begin(), distinct.end());
  if (!gpus.empty() && std::unique(distinct.begin(), distinct.end()) != distinct.end())
    why = "a GPU drives several ranks", gpus.clear();  // a non-MPI build under mpirun, or MPS
  if (gpus.size() > kMaxJudgedRanks) why = std::to_string(gpus.size()) + " ranks, more than one node's model is made for", gpus.clear();
  // GPUs whose model implies NVLink that no input lays out: a PCIe ring is known to be wrong
  // for them and no other layout is supported, so no percentage is given.
  if (!gpus.empty() && !mm.peer_links_unknown.empty()) why = "links unknown: " + mm.peer_links_unknown, gpus.clear();
  if (gpus.empty()) {
    out.add(make_finding("import-collective-judged"), name_of(c) + ": not judged (" + why + ")");
    return;
  }
  bench::CollectiveOptions o;
  o.ops = {*op};
  o.sizes = {row->bytes};
  o.gpus = gpus;
  o.process = c.one_process ? bench::ProcessModel::single : bench::ProcessModel::per_gpu;
  const bench::CollectiveRun expected = expected_collectives(mm.assumed, o);
  double want = 0;
  for (const auto& r : expected.results)
    if (r.op == *op && !r.in_place && r.bytes == row->bytes) want = r.busbw_gbps;
  if (want <= 0) return;
  const double ratio = row->busbw / want;
  char buf[256];
  std::snprintf(buf, sizeof buf, "IMPORTED %s: busbw %.2f GB/s at %llu bytes = %.0f%% of the model's %.2f GB/s (%d ranks; ", name_of(c).c_str(),
                row->busbw, static_cast<unsigned long long>(row->bytes), ratio * 100, want, static_cast<int>(gpus.size()));
  const std::string line = buf + assumed_paths(m, mm) + ")";
  if (ratio < kOkRatio) {
    out.add(detail::import_wording("collective-below-expectation"), line, gpus);
  } else {
    // Above the model is not a fault: the GPUs are linked better than the inputs say (NVLink
    // that no topo -m was pasted for, a switch), so the model is the input's gap, said so.
    out.add(make_finding("import-collective-judged"),
            line + (ratio <= 1.0 / kOkRatio  ? ": as expected"
                    : mm.nvlink_assumed.empty() ? ": faster than the model, so the GPUs are linked better than the inputs state (NVLink or P2P that no input shows)"
                                                : ": faster than the model's ring over NVSwitch (NCCL's NVLS all-reduce reduces inside the switch, or the links are better than assumed)"),
            gpus);
  }
}

}  // namespace

std::vector<Finding> import_collective_findings(const ingest::PartialMachine& m, const ingest::MachineModel& mm) {
  FindingSet out;
  size_t judged = 0;
  for (const auto& c : m.collectives) {
    // Several headers in one run: independent one-rank jobs (nccl-tests-not-mpi says so), no
    // collective across their ranks to judge or to call multi-host.
    if (c.headers > 1) continue;
    if (c.hosts > 1) multi_host(m, c, out);
    else if (judged++ < kMaxJudgedCollectives) judge(m, mm, c, out);
  }
  return out.list;
}

}  // namespace rigcheck::diagnosis

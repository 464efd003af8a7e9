#include "rigcheck/ingest/model.h"

#include <algorithm>

namespace rigcheck::ingest {

const char* to_string(Event::Kind k) {
  switch (k) {
    case Event::Kind::corrupt: return "corrupt";
    case Event::Kind::crash: return "crash";
    case Event::Kind::error: return "error";
    case Event::Kind::truncated: return "truncated";
    case Event::Kind::unparsed: return "unparsed";
    case Event::Kind::waived: return "waived";
  }
  return "?";
}

ImportedGpu& gpu_at(PartialMachine& m, int index) {
  for (auto& g : m.gpus)
    if (g.index == index) return g;
  ImportedGpu g;
  g.index = index;
  m.gpus.push_back(g);
  std::sort(m.gpus.begin(), m.gpus.end(), [](const ImportedGpu& x, const ImportedGpu& y) { return x.index < y.index; });
  for (auto& x : m.gpus)
    if (x.index == index) return x;
  return m.gpus.back();  // not reached
}

ImportedPair& pair_at(PartialMachine& m, int a, int b) {
  if (a > b) std::swap(a, b);
  for (auto& p : m.pairs)
    if (p.a == a && p.b == b) return p;
  ImportedPair p;
  p.a = a;
  p.b = b;
  m.pairs.push_back(p);
  return m.pairs.back();
}

const ImportedPair* find_pair(const PartialMachine& m, int a, int b) {
  if (a > b) std::swap(a, b);
  for (const auto& p : m.pairs)
    if (p.a == a && p.b == b) return &p;
  return nullptr;
}

void name_gpu(PartialMachine& m, int index, const std::string& name, const Provenance& at) {
  ImportedGpu& g = gpu_at(m, index);
  if (name.empty()) return;
  if (g.name.empty()) {
    g.name = name;
    g.from = at;
  } else if (g.name != name) {
    const std::string c = "GPU" + std::to_string(index) + " is " + g.name + " at " + g.from.file + ":" + std::to_string(g.from.line) +
                          " but " + name + " at " + at.file + ":" + std::to_string(at.line);
    if (std::find(m.conflicts.begin(), m.conflicts.end(), c) == m.conflicts.end()) m.conflicts.push_back(c);
  }
}

namespace {
// A paste is bounded, yet one made of rank lines only would make these lists as long as it is
// and their look-ups quadratic: beyond these, rank lines are counted but not recorded.
constexpr size_t kMaxHosts = 1024;
constexpr size_t kMaxRankDevices = 65536;
}  // namespace

void note_rank_device(PartialMachine& m, ImportedCollective& c, const RankDevice& r, const std::string& bdf, const Provenance& at) {
  if (c.rank_devices.size() < kMaxRankDevices) c.rank_devices.push_back(r);
  if (r.device < 0) return;
  auto host = std::find_if(m.hosts.begin(), m.hosts.end(), [&](const ImportedHost& h) { return h.name == r.host; });
  if (host == m.hosts.end()) {
    if (m.hosts.size() >= kMaxHosts) return;
    m.hosts.push_back({r.host, {}});
    host = m.hosts.end() - 1;
  }
  for (const auto& g : host->gpus)
    if (g.index == r.device) return;  // every run of a file names the same GPUs again
  ImportedGpu g;
  g.index = r.device;
  g.name = r.name;
  if (!bdf.empty()) g.address = topology::PciAddress::parse(bdf);
  g.from = at;
  host->gpus.push_back(std::move(g));
  std::sort(host->gpus.begin(), host->gpus.end(), [](const ImportedGpu& x, const ImportedGpu& y) { return x.index < y.index; });
}

void say_cannot_show(PartialMachine& m, const std::string& what) {
  if (std::find(m.cannot_show.begin(), m.cannot_show.end(), what) == m.cannot_show.end()) m.cannot_show.push_back(what);
}

}  // namespace rigcheck::ingest

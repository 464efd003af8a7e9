#include "rigcheck/bench/uplink_monitor.h"

#include <algorithm>

#include "rigcheck/topology/pcie_link.h"

namespace rigcheck::bench {

namespace {

void fold(UplinkObservation& into, const UplinkObservation& o) {
  if (o.samples == 0) return;
  detail::fold_link_range(into, o);
  into.samples += o.samples;
}

}  // namespace

void merge_uplinks(std::vector<UplinkObservation>& into, const std::vector<UplinkObservation>& more) {
  for (const auto& o : more) {
    auto it = std::find_if(into.begin(), into.end(), [&](const UplinkObservation& x) { return x.pci_node == o.pci_node; });
    if (it == into.end()) into.push_back(o);
    else fold(*it, o);
  }
}

std::vector<int> switch_uplinks_above(const topology::Topology& t, const std::vector<int>& gpus) {
  std::vector<int> out;
  for (int g : gpus) {
    if (g < 0 || g >= static_cast<int>(t.gpus.size())) continue;
    for (int x = t.gpus[g].node; x >= 0 && x < static_cast<int>(t.pci.size()); x = t.pci[x].parent) {
      const topology::PciNode& n = t.pci[x];
      if (n.kind == topology::PciKind::switch_upstream && n.address && !n.chipset &&
          std::find(out.begin(), out.end(), x) == out.end())
        out.push_back(x);
    }
  }
  return out;
}

std::vector<int> switch_uplinks_crossed(const topology::Topology& t, const std::vector<fabric::Transfer>& transfers) {
  std::vector<int> out;
  auto add = [&](int node) {
    if (std::find(out.begin(), out.end(), node) == out.end()) out.push_back(node);
  };
  for (const auto& tr : transfers) {
    const bool src_gpu = !tr.src.is_host() && tr.src.gpu >= 0, dst_gpu = !tr.dst.is_host() && tr.dst.gpu >= 0;
    if (src_gpu != dst_gpu) {
      for (int n : switch_uplinks_above(t, {src_gpu ? tr.src.gpu : tr.dst.gpu})) add(n);
      continue;
    }
    if (!src_gpu || tr.src.gpu == tr.dst.gpu) continue;
    const auto* pair = t.pair(tr.src.gpu, tr.dst.gpu);
    if (pair && pair->nvlink_links > 0) continue;
    const auto a = switch_uplinks_above(t, {tr.src.gpu}), b = switch_uplinks_above(t, {tr.dst.gpu});
    for (int n : a)
      if (std::find(b.begin(), b.end(), n) == b.end()) add(n);
    for (int n : b)
      if (std::find(a.begin(), a.end(), n) == a.end()) add(n);
  }
  return out;
}

UplinkMonitor::UplinkMonitor(const topology::RootedFs& fs, const topology::Topology& t, std::vector<int> nodes, int period_us)
    : fs_(fs), period_us_(period_us) {
  for (int n : nodes)
    if (n >= 0 && n < static_cast<int>(t.pci.size()) && t.pci[n].address) {
      UplinkObservation o;
      o.pci_node = n;
      o.address = t.pci[n].address->str();
      obs_.push_back(o);
    }
}

UplinkMonitor::~UplinkMonitor() {
  if (sampler_.running()) stop();
}

void UplinkMonitor::sample_once() {
  for (auto& o : obs_) {
    const std::string dir = "/sys/bus/pci/devices/" + o.address + "/";
    const auto speed = fs_.read_text(dir + "current_link_speed");
    const auto width = fs_.read_long(dir + "current_link_width");
    if (!speed || !width) continue;
    const int gen = topology::pcie_gen_from_speed_string(*speed).value_or(0);
    // A width no link can have (or "Unknown" speed) is not a sample.
    if (gen <= 0 || *width <= 0 || *width > 32) continue;
    UplinkObservation one = o;
    one.min_link = one.max_link = {gen, static_cast<int>(*width)};
    one.samples = 1;
    fold(o, one);
  }
}

void UplinkMonitor::start() {
  if (obs_.empty()) return;
  sampler_.start([this] { sample_once(); }, period_us_);
}

std::vector<UplinkObservation> UplinkMonitor::stop() {
  sampler_.stop();
  sample_once();
  std::vector<UplinkObservation> seen;
  for (const auto& o : obs_)
    if (o.samples > 0) seen.push_back(o);
  return seen;
}

}  // namespace rigcheck::bench

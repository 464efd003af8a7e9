// Names, JSON and the NCCL transport lines of inter-node results (bench/internode.h).
#include <string_view>

#include "rigcheck/bench/internode.h"

namespace rigcheck::bench {

using nlohmann::json;

const char* to_string(CollectiveScope s) {
  switch (s) {
    case CollectiveScope::all: return "all";
    case CollectiveScope::network: return "network";
    case CollectiveScope::intra: return "intra";
  }
  return "?";
}

std::optional<CollectiveScope> scope_from_name(const std::string& name) {
  for (CollectiveScope s : {CollectiveScope::all, CollectiveScope::network, CollectiveScope::intra})
    if (name == to_string(s)) return s;
  return std::nullopt;
}

const char* to_string(Provenance p) { return p == Provenance::simulated ? "simulated" : "measured"; }

namespace {

// "NET/IB : Using [0]mlx5_0:1/IB [1]mlx5_1:1/RoCE ; OOB ib0:…" or "NET/Socket : Using [0]eth0:10.0.0.1<0>":
// the device index NCCL prints in channel lines ("NET/IB/1") to its name.
void parse_net_devices(std::string_view line, std::map<std::string, std::map<int, std::string>>& devices) {
  for (const char* net : {"IB", "Socket"}) {
    const std::string tag = std::string("NET/") + net + " : Using ";
    size_t at = line.find(tag);
    if (at == std::string_view::npos) continue;
    std::string_view rest = line.substr(at + tag.size());
    rest = rest.substr(0, rest.find(';'));
    while (true) {
      size_t open = rest.find('[');
      if (open == std::string_view::npos) break;
      size_t close = rest.find(']', open);
      if (close == std::string_view::npos) break;
      int index = 0;
      bool digits = close > open + 1 && close - open <= 4;
      for (size_t i = open + 1; i < close && digits; ++i) {
        if (rest[i] < '0' || rest[i] > '9') digits = false;
        else index = index * 10 + (rest[i] - '0');
      }
      rest.remove_prefix(close + 1);
      size_t end = rest.find_first_of(":< ");
      if (digits) devices[net][index] = std::string(rest.substr(0, end));
    }
  }
}

}  // namespace

std::vector<ChannelTransport> channel_transports(const std::string& log, const std::vector<int>& node_of_rank) {
  std::map<std::string, std::map<int, std::string>> devices;
  std::string_view all(log);
  while (!all.empty()) {
    size_t end = all.find('\n');
    std::string_view line = all.substr(0, end);
    all.remove_prefix(end == std::string_view::npos ? all.size() : end + 1);
    if (line.size() <= 4096) parse_net_devices(line, devices);
  }
  std::vector<ChannelTransport> out;
  auto node = [&](int rank) { return rank >= 0 && rank < static_cast<int>(node_of_rank.size()) ? node_of_rank[rank] : -1; };
  for (const ChannelRoute& r : parse_nccl_info_log(log).routes) {
    ChannelTransport t;
    t.from_rank = r.from_rank;
    t.to_rank = r.to_rank;
    t.from_node = node(r.from_rank);
    t.to_node = node(r.to_rank);
    t.channel = r.channel;
    t.detail = r.detail;
    t.transport = r.transport;
    if (r.transport == "NET") {
      // NET/<name>/<device>[/GDRDMA][/Shared]
      std::string_view d(r.detail);
      d.remove_prefix(4);
      std::string net(d.substr(0, d.find('/')));
      t.transport = "NET/" + net;
      t.gdrdma = r.detail.find("/GDRDMA") != std::string::npos;
      size_t slash = d.find('/');
      if (slash != std::string_view::npos) {
        std::string_view dev = d.substr(slash + 1);
        dev = dev.substr(0, dev.find_first_of("/("));
        int index = 0;
        bool ok = !dev.empty() && dev.size() <= 4;
        for (char ch : dev) {
          if (ch < '0' || ch > '9') ok = false;
          else index = index * 10 + (ch - '0');
        }
        if (ok && devices[net].count(index)) t.nic = devices[net][index];
      }
    }
    out.push_back(std::move(t));
  }
  return out;
}

namespace {

json result_json(const CollectiveResult& r) {
  return {{"op", to_string(r.op)},     {"bytes", r.bytes},           {"count", r.count},
          {"type", r.type},            {"time_us", r.time_us},       {"algbw_gbps", r.algbw_gbps},
          {"busbw_gbps", r.busbw_gbps}, {"check", r.check}};
}

CollectiveResult result_from_json(const json& j) {
  CollectiveResult r;
  r.op = collective_from_name(j.at("op").get<std::string>()).value_or(Collective::all_reduce);
  r.bytes = j.at("bytes").get<uint64_t>();
  r.count = j.value("count", uint64_t{0});
  r.type = j.value("type", std::string("float"));
  r.time_us = j.at("time_us").get<double>();
  r.algbw_gbps = j.at("algbw_gbps").get<double>();
  r.busbw_gbps = j.at("busbw_gbps").get<double>();
  r.check = j.value("check", std::string("ok"));
  return r;
}

json path_json(const NodeNetworkPath& p) {
  json rails = json::array();
  for (const auto& r : p.more_rails) rails.push_back(path_json(r));
  return {{"node", p.node},
          {"gpus", p.gpus},
          {"more_rails", rails},
          {"nic", p.nic},
          {"kind", p.kind},
          {"link_gbps", p.link_gbps},
          {"link_max_gbps", p.link_max_gbps},
          {"gpu_nic_gbps", p.gpu_nic_gbps},
          {"gpu_nic_path", p.gpu_nic_path},
          {"gdr", p.gdr},
          {"transport", p.transport}};
}

NodeNetworkPath path_from_json(const json& j) {
  NodeNetworkPath p;
  p.node = j.at("node").get<int>();
  p.nic = j.value("nic", std::string());
  p.kind = j.value("kind", std::string());
  p.link_gbps = j.value("link_gbps", 0.0);
  p.link_max_gbps = j.value("link_max_gbps", 0.0);
  p.gpu_nic_gbps = j.value("gpu_nic_gbps", 0.0);
  p.gpu_nic_path = j.value("gpu_nic_path", std::string());
  p.gdr = j.value("gdr", false);
  p.transport = j.value("transport", std::string("IB"));
  p.gpus = j.value("gpus", std::vector<int>{});  // absent before multi-rail: one NIC
  for (const auto& r : j.value("more_rails", json::array())) p.more_rails.push_back(path_from_json(r));
  return p;
}

}  // namespace

json to_json(const InterNodeResults& r) {
  json j = {{"provenance", to_string(r.provenance)},
            {"backend", r.backend},
            {"nodes", r.nodes},
            {"ranks", r.ranks},
            {"ranks_per_node", r.ranks_per_node},
            {"collectives", json::array()},
            {"pairwise", json::array()},
            {"transports", json::array()},
            {"nccl_environment", r.nccl_environment},
            {"nccl_version", r.nccl_version},
            {"paths", json::array()},
            {"bottleneck", r.bottleneck},
            {"notes", r.notes}};
  for (const auto& c : r.collectives) {
    json results = json::array();
    for (const auto& x : c.results) results.push_back(result_json(x));
    j["collectives"].push_back({{"op", to_string(c.op)},
                                {"scope", to_string(c.scope)},
                                {"ranks", c.ranks},
                                {"groups", c.groups},
                                {"concurrent", c.concurrent},
                                {"expected_busbw_gbps", c.expected_busbw_gbps},
                                {"results", results}});
  }
  for (const auto& l : r.pairwise)
    j["pairwise"].push_back({{"from_node", l.from_node}, {"to_node", l.to_node},   {"bytes", l.bytes},
                             {"time_us", l.time_us},     {"gbps", l.gbps},         {"check", l.check},
                             {"expected_gbps", l.expected_gbps}});
  for (const auto& t : r.transports)
    j["transports"].push_back({{"from_rank", t.from_rank}, {"to_rank", t.to_rank},     {"from_node", t.from_node},
                               {"to_node", t.to_node},     {"channel", t.channel},     {"transport", t.transport},
                               {"gdrdma", t.gdrdma},       {"nic", t.nic},             {"detail", t.detail}});
  for (const auto& p : r.paths) j["paths"].push_back(path_json(p));
  j["healthy_paths"] = json::array();
  for (const auto& p : r.healthy_paths) j["healthy_paths"].push_back(path_json(p));
  if (r.fabric)
    j["fabric"] = {{"kind", r.fabric->kind}, {"port_gbps", r.fabric->port_gbps}, {"oversubscription", r.fabric->oversubscription}};
  return j;
}

InterNodeResults internode_from_json(const json& j) {
  InterNodeResults r;
  r.provenance = j.value("provenance", std::string("measured")) == "simulated" ? Provenance::simulated : Provenance::measured;
  r.backend = j.value("backend", std::string());
  r.nodes = j.value("nodes", 0);
  r.ranks = j.value("ranks", 0);
  r.ranks_per_node = j.value("ranks_per_node", std::vector<int>{});
  for (const auto& c : j.value("collectives", json::array())) {
    InterNodeCollective x;
    x.op = collective_from_name(c.at("op").get<std::string>()).value_or(Collective::all_reduce);
    x.scope = scope_from_name(c.at("scope").get<std::string>()).value_or(CollectiveScope::all);
    x.ranks = c.value("ranks", 0);
    x.groups = c.value("groups", 1);
    x.concurrent = c.value("concurrent", true);
    x.expected_busbw_gbps = c.value("expected_busbw_gbps", 0.0);
    for (const auto& res : c.value("results", json::array())) x.results.push_back(result_from_json(res));
    r.collectives.push_back(std::move(x));
  }
  for (const auto& l : j.value("pairwise", json::array()))
    r.pairwise.push_back({l.at("from_node").get<int>(), l.at("to_node").get<int>(), l.value("bytes", uint64_t{0}),
                          l.value("time_us", 0.0), l.value("gbps", 0.0), l.value("check", std::string("ok")),
                          l.value("expected_gbps", 0.0)});
  for (const auto& t : j.value("transports", json::array())) {
    ChannelTransport x;
    x.from_rank = t.value("from_rank", 0);
    x.to_rank = t.value("to_rank", 0);
    x.from_node = t.value("from_node", -1);
    x.to_node = t.value("to_node", -1);
    x.channel = t.value("channel", 0);
    x.transport = t.value("transport", std::string());
    x.gdrdma = t.value("gdrdma", false);
    x.nic = t.value("nic", std::string());
    x.detail = t.value("detail", std::string());
    r.transports.push_back(std::move(x));
  }
  r.nccl_environment = j.value("nccl_environment", std::map<std::string, std::string>{});
  r.nccl_version = j.value("nccl_version", std::string());
  for (const auto& p : j.value("paths", json::array())) r.paths.push_back(path_from_json(p));
  for (const auto& p : j.value("healthy_paths", json::array())) r.healthy_paths.push_back(path_from_json(p));  // absent before
  if (j.contains("fabric") && j["fabric"].is_object())
    r.fabric = NetworkFabric{j["fabric"].value("kind", std::string("ib")), j["fabric"].value("port_gbps", 0.0),
                             j["fabric"].value("oversubscription", 1.0)};
  r.bottleneck = j.value("bottleneck", std::string());
  r.notes = j.value("notes", std::vector<std::string>{});
  return r;
}

}  // namespace rigcheck::bench

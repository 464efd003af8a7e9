#pragma once
// A Backend that runs transfers on the simulated fabric instead of a GPU. Its results are always
// labelled simulated. Deterministic for a given seed.

#include <cstdint>
#include <random>

#include "rigcheck/bench/backend.h"
#include "rigcheck/fabric/fabric.h"

namespace rigcheck::bench {

class SimBackend : public Backend {
 public:
  SimBackend(const topology::Topology& topology, const fabric::FabricConstants& constants, uint64_t seed = 1);

  bool simulated() const override { return true; }
  std::string description() const override;
  int device_count() const override;
  PeerPath peer_path(int src_gpu, int dst_gpu, Engine engine) const override;
  CopyOutcome run_copies(const std::vector<Transfer>& transfers, int repetitions, double timeout_s) override;
  LatencyOutcome run_latency(int gpu, const Endpoint& memory, double timeout_s) override;

  const fabric::Fabric& fabric() const { return fabric_; }

 private:
  double noise();

  const topology::Topology& topology_;
  fabric::FabricConstants constants_;
  fabric::Fabric fabric_;
  uint64_t seed_;
  std::mt19937_64 rng_;
};

}  // namespace rigcheck::bench

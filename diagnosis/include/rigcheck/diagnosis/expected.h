#pragma once
// Expected figures and verdicts. The expectation for a measured number is what
// rigcheck's fabric model gives for the *healthy* version of the same machine: every link at its
// maximum generation and width, no ACS redirect, no IOMMU translation. The model's constants
// (link rates, efficiencies per link kind and copy method) are the sourced tables in
// fabric/data/fabric.json; the reasoning names the link and the factor.

#include <string>
#include <vector>

#include "rigcheck/bench/results.h"
#include "rigcheck/bench/sim_backend.h"
#include "rigcheck/topology/model.h"

namespace rigcheck::diagnosis {

enum class Verdict { ok, below_expectation, host_staged, cross_socket, corrupt, hang, error, unsupported, not_run };
const char* to_string(Verdict v);

struct Expectation {
  double value = 0;       // in the cell's unit; 0 when there is no expectation
  std::string reasoning;  // "link above 0000:03:00.0 31.51 GB/s x 0.85 (PCIe, copy engine)"
};

struct Judgement {
  Expectation expected;
  double ratio = 0;  // measured / expected for bandwidth, expected / measured for latency (1 = as expected)
  Verdict verdict = Verdict::ok;
};

// A measured value at or above this share of the expectation is ok.
inline constexpr double kOkRatio = 0.85;

// The machine as it should be: links at max, ACS not redirecting, IOMMU not translating.
topology::Topology healthy_version(const topology::Topology& t);

class ExpectationModel {
 public:
  explicit ExpectationModel(const topology::Topology& t);
  ExpectationModel(const ExpectationModel&) = delete;  // the simulator refers to healthy_
  ExpectationModel& operator=(const ExpectationModel&) = delete;
  Expectation expect(const bench::CellPlan& cell, int repetitions) const;
  Judgement judge(const bench::CellResult& cell, int repetitions) const;

 private:
  topology::Topology healthy_;
  fabric::FabricConstants constants_;
  mutable bench::SimBackend sim_;
  const topology::Topology& actual_;
};

// One judgement per cell of `run`, in the same order.
std::vector<Judgement> judge_run(const topology::Topology& t, const bench::BenchRun& run);

}  // namespace rigcheck::diagnosis

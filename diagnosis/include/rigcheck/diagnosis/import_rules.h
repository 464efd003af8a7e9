#pragma once
// Diagnosis of imported outputs with partial knowledge. The imported figures become a BenchRun
// on the assumed machine (the card's own link where no input states one), judged by the same
// expectation model and measured rules as a live run; the rules here add what only a partial
// picture needs: relative checks between GPUs and pairs, P2P granted but not working, the link
// class a figure matches, and the pathologies a pasted output shows (corruption, a crash, an
// output that stops, nccl-tests launched wrongly).

#include <vector>

#include "rigcheck/bench/results.h"
#include "rigcheck/ingest/machine_model.h"
#include "rigcheck/ingest/model.h"
#include "rigcheck/diagnosis/expected.h"
#include "rigcheck/diagnosis/finding.h"

namespace rigcheck::diagnosis {

struct ImportedRun {
  bench::BenchRun run;              // one cell per imported figure, GPUs by topology position
  std::vector<Judgement> judgements;
  std::vector<size_t> source;       // per run cell: its index in PartialMachine::cells
};

ImportedRun judge_imported(const ingest::PartialMachine& m, const ingest::MachineModel& mm);

// Every finding of an import: the measured rules on the judged cells, then the import rules.
std::vector<Finding> import_findings(const ingest::PartialMachine& m, const ingest::MachineModel& mm, const ImportedRun& r);

// The PCIe links whose typical copy-engine figure (70-95 % of theory) includes `gbps`, e.g.
// 6.2 -> {Gen3 x8, Gen4 x4}; empty when none does.
std::vector<topology::LinkState> link_classes_for(double gbps);

}  // namespace rigcheck::diagnosis

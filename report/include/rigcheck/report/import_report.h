#pragma once
// The report of `rigcheck import`: a rigcheck.report/1 document with "mode": "imported", the
// inputs (name, tool and version of each block, sha256), the partial machine as a topology that
// states only what the inputs say, every imported figure as a measurement cell with its source,
// nccl-tests runs as collectives, and the findings. Renderers label every figure IMPORTED.

#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rigcheck/ingest/machine_model.h"
#include "rigcheck/ingest/model.h"
#include "rigcheck/diagnosis/finding.h"
#include "rigcheck/diagnosis/import_rules.h"

namespace rigcheck::report {

struct ImportHeader {
  std::string created_utc;
  std::vector<std::string> command_line;
};

nlohmann::json imported_report(const ingest::PartialMachine& m, const ingest::MachineModel& mm, const diagnosis::ImportedRun& r,
                               const std::vector<diagnosis::Finding>& findings, const ImportHeader& h);

}  // namespace rigcheck::report

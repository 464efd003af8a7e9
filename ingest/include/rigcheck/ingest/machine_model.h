#pragma once
// The partial machine as rigcheck topologies, twice:
//  * `stated`: only what the inputs say (links unknown unless stated, path classes only from
//    `nvidia-smi topo -m`); this is what an imported report shows.
//  * `assumed`: the same machine with the gaps filled from each card's capability (its PCIe
//    generation and width from the model table, each GPU on its own CPU root port), for the
//    expectation model only. Every gap filled is listed in `assumptions`, so findings can say
//    "assuming the card's Gen4 x16".

#include <string>
#include <vector>

#include "rigcheck/ingest/model.h"
#include "rigcheck/topology/model.h"

namespace rigcheck::ingest {

struct MachineModel {
  topology::Topology stated;
  topology::Topology assumed;
  std::vector<std::string> assumptions;
  std::vector<bool> model_known;  // per GPU position: the card is in rigcheck's model table
  std::vector<int> index_of;      // per GPU position: the tool's device index
};

MachineModel machine_model(const PartialMachine& m);

// Position of the tool's device index in the topologies' GPU list, -1 when absent.
int position_of(const MachineModel& mm, int index);

}  // namespace rigcheck::ingest

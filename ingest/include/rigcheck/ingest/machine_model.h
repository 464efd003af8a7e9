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
  // No input states the GPUs' links and their model implies NVLink: what `assumed` took for it
  // ("NVLink 3, 12 links per GPU to NVSwitch, …"), or, where nothing supports a layout, why the
  // links between the GPUs are unknown (then GPU-to-GPU figures get no expectation). Empty
  // otherwise.
  std::string nvlink_assumed;
  std::string peer_links_unknown;
  std::vector<std::string> cannot_show;  // what the model cannot expect, for the report's list
};

MachineModel machine_model(const PartialMachine& m);

// Position of the tool's device index in the topologies' GPU list, -1 when absent.
int position_of(const MachineModel& mm, int index);

}  // namespace rigcheck::ingest

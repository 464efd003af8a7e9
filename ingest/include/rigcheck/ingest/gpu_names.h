#pragma once
// GPU models from the names tools print ("NVIDIA GeForce RTX 4090", "Tesla V100-SXM2-16GB",
// "NVIDIA A100-SXM4-80GB"), matched against rigcheck's model table by their words.

#include <string>

#include "rigcheck/topology/gpu_models.h"

namespace rigcheck::ingest {

// nullptr when no model in the table matches every word of its name (memory size words are
// compared too, so an 80GB card never matches a 40GB row).
const topology::GpuModel* model_for_name(const std::string& printed);

}  // namespace rigcheck::ingest

#pragma once
// Reading the report's measurement cells, shared by the view and compare. Internal.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace rigcheck::report::detail {

// The median of a cell in its unit, or what happened instead ("n/a", "hang", …); host-staged
// figures carry '*' because they are not peer-to-peer figures.
std::string cell_value(const nlohmann::json& c);

// A cell of a pairwise catalogue test: its row and column GPU (the cell's source and destination).
// False for any other cell.
bool pair_of(const nlohmann::json& c, int& row, int& col);

// "Gen4 x16" for a link_state object of a report's topology.
std::string link_text(const nlohmann::json& link);

// "GPU0, GPU2-GPU5" for a sorted list of GPU indexes.
std::string gpu_ranges(const std::vector<int>& gpus);

}  // namespace rigcheck::report::detail

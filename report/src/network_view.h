#pragma once
// The network part of the view (NetworkView in view.h), read from a report's topology. Internal.

#include <nlohmann/json.hpp>

#include "rigcheck/report/view.h"

namespace rigcheck::report::detail {

NetworkView network_view_of(const nlohmann::json& topology);

}  // namespace rigcheck::report::detail

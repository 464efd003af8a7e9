#pragma once
// The cluster part of the view (ClusterView in view.h), read from a cluster report. Internal.

#include <nlohmann/json.hpp>

#include "rigcheck/report/view.h"

namespace rigcheck::report::detail {

ClusterView cluster_view_of(const nlohmann::json& report);

}  // namespace rigcheck::report::detail

#pragma once
// The heatmaps of a report's pairwise tests as PNG images, for forums that take image uploads
// but no HTML: drawn with cairo over the same view as the HTML page (view.h), coloured by the
// same bands (Shade), labelled SIMULATED or IMPORTED like every other rendering.

#include <string>
#include <vector>

#include "rigcheck/report/view.h"

namespace rigcheck::report {

struct PngSize {
  int width = 0, height = 0;
};

// The size of a test's heatmap image: it grows with the number of GPUs.
PngSize heatmap_png_size(const TestView& test);

// The PNG file (its bytes) of one pairwise test's heatmap. Throws std::runtime_error when cairo
// fails (out of memory, say).
std::string heatmap_png(const ReportView& view, const TestView& test);

// Writes one "<stem>-<test>.png" per pairwise test into `dir` (which must exist), and for a
// cluster report "<stem>-node_leader_send_recv.png" (node_pair_test), and returns their paths in
// the view's order; none when the report has no pairwise test.
std::vector<std::string> write_heatmap_pngs(const ReportView& view, const std::string& dir, const std::string& stem);

}  // namespace rigcheck::report

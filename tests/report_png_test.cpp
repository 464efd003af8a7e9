// The heatmap PNGs (report/png.h) of a seed-rig report, read back with cairo: a valid PNG of the
// size the layout gives, with more than one colour, and the colour of a shortfall where the
// matrix has a cell below its expectation.

#include <cairo.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <set>
#include <unistd.h>

#include "rigcheck/report/png.h"
#include "rigcheck/report/report.h"

namespace report = rigcheck::report;
using nlohmann::json;

namespace {

json example(const char* name) { return report::load_report(std::string(RIGCHECK_EXAMPLES) + "/" + name); }

struct Reader {
  const std::string* data;
  size_t at = 0;
};

cairo_status_t read_png(void* closure, unsigned char* out, unsigned int length) {
  auto* r = static_cast<Reader*>(closure);
  if (r->at + length > r->data->size()) return CAIRO_STATUS_READ_ERROR;
  std::memcpy(out, r->data->data() + r->at, length);
  r->at += length;
  return CAIRO_STATUS_SUCCESS;
}

using Surface = std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)>;

Surface decode(const std::string& png) {
  Reader r{&png};
  return Surface(cairo_image_surface_create_from_png_stream(read_png, &r), cairo_surface_destroy);
}

uint32_t pixel(cairo_surface_t* s, int x, int y) {
  const unsigned char* row = cairo_image_surface_get_data(s) + y * cairo_image_surface_get_stride(s);
  uint32_t p;
  std::memcpy(&p, row + 4 * x, 4);
  return p & 0xffffff;
}

}  // namespace

TEST(ReportPng, HeatmapsAreValidPngsOfTheirSizeWithAPicture) {
  const report::ReportView v = report::build_view(example("supermicro-4029gp-trt2-10x3090--acs-and-iommu-on.json"));
  int drawn = 0;
  for (const auto& t : v.tests) {
    if (!t.pairwise) continue;
    ++drawn;
    const std::string png = report::heatmap_png(v, t);
    ASSERT_GT(png.size(), 8u);
    EXPECT_EQ(png.compare(0, 8, "\x89PNG\r\n\x1a\n"), 0) << t.name;
    Surface s = decode(png);
    ASSERT_EQ(cairo_surface_status(s.get()), CAIRO_STATUS_SUCCESS) << t.name;
    const report::PngSize size = report::heatmap_png_size(t);
    EXPECT_EQ(cairo_image_surface_get_width(s.get()), size.width);
    EXPECT_EQ(cairo_image_surface_get_height(s.get()), size.height);
    EXPECT_GE(size.width, 10 * 50) << "ten GPU columns";
    EXPECT_GE(size.height, 10 * 20) << "ten GPU rows";
    cairo_surface_flush(s.get());
    std::set<uint32_t> colours;
    for (int y = 0; y < size.height; y += 3)
      for (int x = 0; x < size.width; x += 3) colours.insert(pixel(s.get(), x, y));
    EXPECT_GT(colours.size(), 8u) << t.name << ": the image is (nearly) uniform";
    // The HTML's shortfall colours (#ffd08a short, #f08c8c far) are in the image when the matrix has a shortfall.
    bool short_cell = false;
    for (const auto& row : t.shades)
      for (auto sh : row) short_cell |= sh == report::Shade::short_of || sh == report::Shade::far_short;
    if (short_cell) { EXPECT_TRUE(colours.count(0xffd08a) || colours.count(0xf08c8c)) << t.name; }
  }
  EXPECT_EQ(drawn, 3);
}

TEST(ReportPng, WritesOneFilePerPairTestNamedAfterTheReport) {
  const report::ReportView v = report::build_view(example("gigabyte-t180-g20-4xv100-nvlink--healthy.json"));
  const auto dir = std::filesystem::temp_directory_path() / ("rigcheck-png-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto paths = report::write_heatmap_pngs(v, dir.string(), "rig");
  ASSERT_EQ(paths.size(), 3u);
  EXPECT_EQ(std::filesystem::path(paths[0]).filename(), "rig-device_to_device_write_ce.png");
  for (const auto& p : paths) EXPECT_GT(std::filesystem::file_size(p), 1000u) << p;
  std::filesystem::remove_all(dir);
}

TEST(ReportPng, AReportWithoutPairTestsHasNoHeatmap) {
  const report::ReportView v = report::build_view(example("dell-t1700-gtx1660--healthy.json"));
  const auto dir = std::filesystem::temp_directory_path();
  EXPECT_TRUE(report::write_heatmap_pngs(v, dir.string(), "none").empty());
}

TEST(ReportPng, SixteenGpuHeatmapsStayInsideTheirImage) {
  // A wide rig: the matrix of a 16-GPU copy of the 10-GPU report (cells beyond GPU9 empty) still
  // fits the size the layout gives, with narrower cells.
  report::ReportView v = report::build_view(example("supermicro-4029gp-trt2-10x3090--acs-and-iommu-on.json"));
  for (auto& t : v.tests) {
    if (!t.pairwise) continue;
    t.matrix.labels.clear();
    for (int i = 0; i < 16; ++i) t.matrix.labels.push_back("GPU" + std::to_string(i));
    t.matrix.cells.resize(16);
    for (auto& row : t.matrix.cells) row.resize(16);
    const report::PngSize size = report::heatmap_png_size(t);
    EXPECT_LT(size.width, 16 * 72) << "narrower cells from 16 GPUs on";
    Surface s = decode(report::heatmap_png(v, t));
    ASSERT_EQ(cairo_surface_status(s.get()), CAIRO_STATUS_SUCCESS);
    EXPECT_EQ(cairo_image_surface_get_width(s.get()), size.width);
    EXPECT_EQ(cairo_image_surface_get_height(s.get()), size.height);
  }
}

// A cluster report draws its node-leader matrix: node1 without the peer-memory module sends at
// about half the healthy network's figure, so its row and column are "short" (the HTML's #ffd08a).
TEST(ReportPng, AClusterReportDrawsItsNodePairMatrix) {
  const report::ReportView v = report::build_view(example("cluster-2x-t180-v100-edr--no-peermem.json"));
  ASSERT_TRUE(v.cluster.has_pairwise);
  const report::TestView t = report::node_pair_test(v);
  EXPECT_EQ(t.matrix.labels, (std::vector<std::string>{"node0", "node1"}));
  EXPECT_EQ(t.shades[0][1], report::Shade::short_of);
  EXPECT_EQ(t.shades[1][0], report::Shade::short_of);
  EXPECT_NE(t.expected_legend.find("expected: "), std::string::npos);
  const auto dir = std::filesystem::temp_directory_path() / ("rigcheck-png-cluster-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto paths = report::write_heatmap_pngs(v, dir.string(), "cluster");
  ASSERT_EQ(paths.size(), 1u);
  EXPECT_EQ(std::filesystem::path(paths[0]).filename(), "cluster-node_leader_send_recv.png");
  std::ifstream in(paths[0], std::ios::binary);
  const std::string png((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Surface s = decode(png);
  ASSERT_EQ(cairo_surface_status(s.get()), CAIRO_STATUS_SUCCESS);
  EXPECT_EQ(cairo_image_surface_get_width(s.get()), report::heatmap_png_size(t).width);
  cairo_surface_flush(s.get());
  // Both off-diagonal cells are "short" (#ffd08a): far more of that colour than the legend's
  // 14x14 swatch alone would give.
  int short_pixels = 0;
  for (int y = 0; y < cairo_image_surface_get_height(s.get()); ++y)
    for (int x = 0; x < cairo_image_surface_get_width(s.get()); ++x) short_pixels += pixel(s.get(), x, y) == 0xffd08a;
  EXPECT_GT(short_pixels, 2 * 14 * 14 * 4) << short_pixels;
  std::filesystem::remove_all(dir);
}

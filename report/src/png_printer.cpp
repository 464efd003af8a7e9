// Heatmap PNGs with cairo: the same matrix, colours and legend as the HTML heatmap, as a picture.
// cairo is a well-kept rasteriser and PNG writer, so rigcheck draws rectangles and text and never
// encodes an image itself. Every cairo status is checked: a failed drawing is an error, not a
// blank image.

#include <cairo.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>

#include "rigcheck/diagnosis/expected.h"
#include "rigcheck/report/png.h"
#include "rigcheck/report/report.h"

namespace rigcheck::report {

namespace {

constexpr int kMargin = 16;
constexpr int kLabelW = 64;      // the row labels' column
constexpr int kTitleH = 58;      // title and caption above the matrix
constexpr int kHeaderH = 24;     // the column labels
constexpr int kLegendH = 64;     // bands and expected figures under the matrix
constexpr int kMinWidth = 640;   // room for the legend's line
constexpr int kWideRig = 16;

int cell_w(size_t n) { return n >= kWideRig ? 50 : 72; }
constexpr int kCellH = 28;

struct Rgb {
  double r, g, b;
};

// The HTML page's colours (html_printer.cpp), so that an image and the page read alike.
Rgb colour(Shade s) {
  switch (s) {
    case Shade::ok: return {0xb7 / 255., 0xe4 / 255., 0xc7 / 255.};
    case Shade::short_of: return {1.0, 0xd0 / 255., 0x8a / 255.};
    case Shade::far_short: return {0xf0 / 255., 0x8c / 255., 0x8c / 255.};
    case Shade::no_expectation: return {0xe8 / 255., 0xec / 255., 0xf0 / 255.};
    case Shade::failed: return {0x8c / 255., 0x1d / 255., 0x1d / 255.};
    case Shade::self: return {0xf3 / 255., 0xf5 / 255., 0xf7 / 255.};
    case Shade::unsupported:
    case Shade::missing: return {1, 1, 1};
  }
  return {1, 1, 1};
}

using Surface = std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)>;
using Context = std::unique_ptr<cairo_t, decltype(&cairo_destroy)>;

void check(cairo_status_t s, const char* what) {
  if (s != CAIRO_STATUS_SUCCESS) throw std::runtime_error(std::string("cannot draw the heatmap (") + what + "): " + cairo_status_to_string(s));
}

void text(cairo_t* cr, double x, double y, const std::string& s, double size, bool bold, bool centred, Rgb c = {0.11, 0.14, 0.17}) {
  cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
  double dx = 0;
  if (centred) {
    cairo_text_extents_t e;
    cairo_text_extents(cr, s.c_str(), &e);
    dx = -e.x_advance / 2;
  }
  cairo_set_source_rgb(cr, c.r, c.g, c.b);
  cairo_move_to(cr, x + dx, y);
  cairo_show_text(cr, s.c_str());
}

void box(cairo_t* cr, double x, double y, double w, double h, Rgb fill) {
  cairo_rectangle(cr, x, y, w, h);
  cairo_set_source_rgb(cr, fill.r, fill.g, fill.b);
  cairo_fill_preserve(cr);
  cairo_set_source_rgb(cr, 0.82, 0.84, 0.87);
  cairo_set_line_width(cr, 1);
  cairo_stroke(cr);
}

cairo_status_t append(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

// A file name part from a test name: letters, digits, '-' and '_' only.
std::string file_part(const std::string& s) {
  std::string out;
  for (char c : s) out += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ? c : '_';
  return out;
}

}  // namespace

PngSize heatmap_png_size(const TestView& t) {
  const int n = static_cast<int>(t.matrix.labels.size());
  const int w = 2 * kMargin + kLabelW + n * cell_w(n);
  return {std::max(kMinWidth, w), 2 * kMargin + kTitleH + kHeaderH + n * kCellH + kLegendH};
}

std::string heatmap_png(const ReportView& v, const TestView& t) {
  const PngSize size = heatmap_png_size(t);
  Surface surface(cairo_image_surface_create(CAIRO_FORMAT_RGB24, size.width, size.height), cairo_surface_destroy);
  check(cairo_surface_status(surface.get()), "surface");
  Context cr(cairo_create(surface.get()), cairo_destroy);
  check(cairo_status(cr.get()), "context");
  cairo_t* c = cr.get();
  cairo_set_source_rgb(c, 1, 1, 1);
  cairo_paint(c);

  const std::string badge = figure_badge(v);
  const std::string title = (badge.empty() ? "" : badge + "  ") + t.name + " (" + t.unit + ", median)";
  text(c, kMargin, kMargin + 18, title, 17, true, false);
  text(c, kMargin, kMargin + 38, v.title, 12, false, false);
  text(c, kMargin, kMargin + 54, t.picture_caption, 11, false, false, {0.34, 0.38, 0.42});

  const size_t n = t.matrix.labels.size();
  const int cw = cell_w(n);
  const double x0 = kMargin + kLabelW, y0 = kMargin + kTitleH + kHeaderH;
  for (size_t j = 0; j < n; ++j) text(c, x0 + j * cw + cw / 2.0, y0 - 7, t.matrix.labels[j], 11, true, true);
  for (size_t i = 0; i < n; ++i) {
    text(c, kMargin, y0 + i * kCellH + 18, t.matrix.labels[i], 11, true, false);
    for (size_t j = 0; j < n; ++j) {
      const Shade s = i < t.shades.size() && j < t.shades[i].size() ? t.shades[i][j] : Shade::missing;
      box(c, x0 + j * cw, y0 + i * kCellH, cw, kCellH, colour(s));
      const Rgb ink = s == Shade::failed ? Rgb{1, 1, 1} : Rgb{0.11, 0.14, 0.17};
      text(c, x0 + j * cw + cw / 2.0, y0 + i * kCellH + 18, t.matrix.cells[i][j], n >= kWideRig ? 10 : 11, false, true, ink);
    }
  }

  // The legend: the bands as swatches, then the expected figure per path class.
  double lx = kMargin;
  const double ly = y0 + n * kCellH + 20;
  char ok[48], far[48];
  if (t.unit == "ns") {
    std::snprintf(ok, sizeof ok, "up to %.2fx the expected time", 1 / diagnosis::kOkRatio);
    std::snprintf(far, sizeof far, "over %.1fx", 1 / kFarRatio);
  } else {
    std::snprintf(ok, sizeof ok, ">= %.0f%% of expected", diagnosis::kOkRatio * 100);
    std::snprintf(far, sizeof far, "< %.0f%%", kFarRatio * 100);
  }
  const std::pair<Shade, std::string> bands[] = {
      {Shade::ok, ok}, {Shade::short_of, "short (!)"}, {Shade::far_short, far}, {Shade::no_expectation, "no expectation"}, {Shade::failed, "failed"}};
  for (const auto& [s, label] : bands) {
    box(c, lx, ly - 11, 14, 14, colour(s));
    text(c, lx + 19, ly, label, 11, false, false);
    cairo_text_extents_t e;
    cairo_text_extents(c, label.c_str(), &e);
    lx += 19 + e.x_advance + 16;
  }
  std::string legend = t.expected_legend;
  if (t.host_staged_marks) legend += (legend.empty() ? "" : "; ") + std::string("* host-staged");
  text(c, kMargin, ly + 20, legend, 11, false, false);
  text(c, kMargin, ly + 38, "rigcheck " + v.tool_version + ", " + v.created_utc, 10, false, false, {0.34, 0.38, 0.42});

  check(cairo_status(c), "drawing");
  cairo_surface_flush(surface.get());
  std::string png;
  check(cairo_surface_write_to_png_stream(surface.get(), append, &png), "PNG");
  return png;
}

std::vector<std::string> write_heatmap_pngs(const ReportView& v, const std::string& dir, const std::string& stem) {
  std::vector<std::string> paths;
  for (const auto& t : v.tests) {
    if (!t.pairwise) continue;
    const std::string path = (std::filesystem::path(dir) / (stem + "-" + file_part(t.name) + ".png")).string();
    write_atomically(path, heatmap_png(v, t));
    paths.push_back(path);
  }
  if (v.cluster.present && v.cluster.has_pairwise) {
    const TestView t = node_pair_test(v);
    const std::string path = (std::filesystem::path(dir) / (stem + "-" + t.name + ".png")).string();
    write_atomically(path, heatmap_png(v, t));
    paths.push_back(path);
  }
  return paths;
}

}  // namespace rigcheck::report

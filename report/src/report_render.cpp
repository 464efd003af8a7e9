// The report renderers of report.h: the document's view (view.h) laid out by a printer.

#include "rigcheck/report/report.h"
#include "rigcheck/report/view.h"

namespace rigcheck::report {

void render_report_text(const nlohmann::json& report, std::ostream& out) { print_text(build_view(report), out); }

void render_report_markdown(const nlohmann::json& report, std::ostream& out) { print_markdown(build_view(report), out); }

void render_report_html(const nlohmann::json& report, std::ostream& out) { print_html(build_view(report), out); }

}  // namespace rigcheck::report

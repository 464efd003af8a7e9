// The PCIe/NVLink tree as an inline SVG: each PCI node a box under its parent (leaves side by
// side, a parent centred over its children), GPUs highlighted, links that run below their
// maximum in red, chipset-attached devices dashed, NVLink links as arcs under the GPUs. Drawn
// by hand because a report page must not load a layout library from anywhere.

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>

#include "format.h"
#include "html_parts.h"

namespace rigcheck::report::detail {

namespace {

constexpr double kSlot = 156;   // horizontal room per leaf
constexpr double kBoxW = 144, kBoxH = 50;
constexpr double kRow = 86;     // vertical distance between tree levels
constexpr double kMargin = 10;

struct Placed {
  double x = 0, y = 0;  // the box's top centre
};

std::string kind_text(const PciNodeView& n) {
  if (n.gpu >= 0) return "GPU" + std::to_string(n.gpu);
  if (n.kind == "host_bridge") return "Host bridge";
  if (n.kind == "root_port") return n.chipset ? "Chipset port" : "Root port";
  if (n.kind == "switch_upstream") return "Switch (upstream)";
  if (n.kind == "switch_downstream") return "Switch port";
  return "Device";
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

}  // namespace

std::string shorten(const std::string& s, size_t max_chars) {
  size_t chars = 0, i = 0;
  for (; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) continue;  // a continuation byte
    if (chars == max_chars) return s.substr(0, i) + "\xe2\x80\xa6";
    ++chars;
  }
  return s;
}

void print_topology_svg(const ReportView& v, std::ostream& out) {
  if (v.pci_tree.empty()) return;
  std::map<int, size_t> at;  // node id -> index
  for (size_t i = 0; i < v.pci_tree.size(); ++i) at[v.pci_tree[i].id] = i;
  std::vector<std::vector<size_t>> children(v.pci_tree.size());
  std::vector<size_t> roots;
  for (size_t i = 0; i < v.pci_tree.size(); ++i) {
    const auto p = at.find(v.pci_tree[i].parent);
    if (p == at.end() || p->second == i) roots.push_back(i);
    else children[p->second].push_back(i);
  }
  std::vector<Placed> pos(v.pci_tree.size());
  std::vector<bool> seen(v.pci_tree.size(), false);
  int leaves = 0, depth_max = 0;
  // Leaves take the next slot; a parent sits over the middle of its children. `seen` keeps a
  // malformed tree (a cycle of parents) from recursing forever.
  std::function<void(size_t, int)> place = [&](size_t i, int depth) {
    seen[i] = true;
    depth_max = std::max(depth_max, depth);
    pos[i].y = kMargin + depth * kRow;
    std::vector<size_t> placed;
    for (size_t c : children[i])
      if (!seen[c]) place(c, depth + 1), placed.push_back(c);
    if (placed.empty()) pos[i].x = kMargin + (leaves++ + 0.5) * kSlot;
    else pos[i].x = (pos[placed.front()].x + pos[placed.back()].x) / 2;
  };
  for (size_t r : roots) place(r, 0);
  for (size_t i = 0; i < v.pci_tree.size(); ++i)
    if (!seen[i]) place(i, 0);  // parts of a cycle: drawn as roots

  std::map<int, size_t> gpu_node;  // GPU index -> node
  for (size_t i = 0; i < v.pci_tree.size(); ++i)
    if (v.pci_tree[i].gpu >= 0) gpu_node[v.pci_tree[i].gpu] = i;
  double arc_room = 0;
  for (const auto& l : v.nvlinks)
    if (gpu_node.count(l.a) && gpu_node.count(l.b))
      arc_room = std::max(arc_room, 30 + 0.22 * std::abs(pos[gpu_node[l.a]].x - pos[gpu_node[l.b]].x));
  const bool nvswitch = std::any_of(v.nvlinks.begin(), v.nvlinks.end(), [](const NvLinkView& l) { return l.via_nvswitch; });
  if (nvswitch) arc_room = std::max(arc_room, 90.0);
  const double width = 2 * kMargin + std::max(1, leaves) * kSlot;
  const double height = 2 * kMargin + depth_max * kRow + kBoxH + arc_room + (arc_room > 0 ? 24 : 0);

  out << "<svg class=\"topology\" role=\"img\" width=\"" << num(width) << "\" height=\""
      << num(height) << "\" viewBox=\"0 0 " << num(width) << " " << num(height) << "\">\n"
      << "<title>PCIe tree and NVLink links of " << html_text(v.title) << "</title>\n";
  // Edges first, so that boxes cover their ends.
  for (size_t i = 0; i < v.pci_tree.size(); ++i)
    for (size_t c : children[i]) {
      const auto& n = v.pci_tree[c];
      out << "<line class=\"edge" << (n.degraded ? " degraded" : "") << "\" x1=\"" << num(pos[i].x) << "\" y1=\""
          << num(pos[i].y + kBoxH) << "\" x2=\"" << num(pos[c].x) << "\" y2=\"" << num(pos[c].y) << "\"/>\n";
    }
  for (size_t i = 0; i < v.pci_tree.size(); ++i) {
    const auto& n = v.pci_tree[i];
    std::string cls = "node " + n.kind + (n.gpu >= 0 ? " gpu" : "") + (n.chipset ? " chipset" : "") + (n.degraded ? " degraded" : "");
    std::string second = n.gpu >= 0 || n.address.empty() ? n.name : n.address;
    if (second.empty() && n.package >= 0) second = "CPU socket " + std::to_string(n.package);
    const std::string third = n.gpu >= 0 ? n.address + (n.link.empty() ? "" : "  " + n.link) : n.link;
    out << "<g class=\"" << cls << "\"><title>" << html_text(kind_text(n) + " " + n.address + " " + n.name + " " + n.link)
        << (n.degraded ? " (below its maximum)" : "") << "</title>"
        << "<rect x=\"" << num(pos[i].x - kBoxW / 2) << "\" y=\"" << num(pos[i].y) << "\" width=\"" << num(kBoxW) << "\" height=\""
        << num(kBoxH) << "\" rx=\"5\"/>"
        << "<text x=\"" << num(pos[i].x) << "\" y=\"" << num(pos[i].y + 15) << "\" class=\"k\">" << html_text(kind_text(n)) << "</text>"
        << "<text x=\"" << num(pos[i].x) << "\" y=\"" << num(pos[i].y + 29) << "\">" << html_text(shorten(second, 24)) << "</text>"
        << "<text x=\"" << num(pos[i].x) << "\" y=\"" << num(pos[i].y + 43) << "\" class=\"l\">" << html_text(shorten(third, 26))
        << "</text></g>\n";
  }
  // NVLink: a direct link is an arc between the two GPUs; links through an NVSwitch meet in one box.
  const double below = kMargin + depth_max * kRow + kBoxH;
  if (nvswitch) {
    const double sy = below + arc_room - 10;
    out << "<g class=\"node nvswitch\"><rect x=\"" << num(width / 2 - kBoxW / 2) << "\" y=\"" << num(sy) << "\" width=\"" << num(kBoxW)
        << "\" height=\"24\" rx=\"5\"/><text x=\"" << num(width / 2) << "\" y=\"" << num(sy + 16) << "\" class=\"k\">NVSwitch</text></g>\n";
    std::map<int, int> links;
    for (const auto& l : v.nvlinks)
      if (l.via_nvswitch) links[l.a] = std::max(links[l.a], l.links), links[l.b] = std::max(links[l.b], l.links);
    for (const auto& [g, n] : links)
      if (gpu_node.count(g)) {
        const Placed& p = pos[gpu_node[g]];
        out << "<line class=\"nvlink\" x1=\"" << num(p.x) << "\" y1=\"" << num(p.y + kBoxH) << "\" x2=\"" << num(width / 2) << "\" y2=\""
            << num(sy) << "\"/>\n";
      }
  }
  for (const auto& l : v.nvlinks) {
    if (l.via_nvswitch || !gpu_node.count(l.a) || !gpu_node.count(l.b)) continue;
    const Placed& p = pos[gpu_node[l.a]];
    const Placed& q = pos[gpu_node[l.b]];
    const double dip = 30 + 0.22 * std::abs(p.x - q.x);
    const double y1 = p.y + kBoxH, y2 = q.y + kBoxH, low = std::max(y1, y2) + dip;
    out << "<path class=\"nvlink\" style=\"stroke-width:" << 1 + l.links << "\" d=\"M" << num(p.x) << "," << num(y1) << " C" << num(p.x)
        << "," << num(low) << " " << num(q.x) << "," << num(low) << " " << num(q.x) << "," << num(y2) << "\"><title>GPU" << l.a << " - GPU"
        << l.b << ": NV" << l.links << (l.gbps > 0 ? ", " + num(l.gbps) + " GB/s" : "") << "</title></path>\n"
        << "<text class=\"nvlabel\" x=\"" << num((p.x + q.x) / 2) << "\" y=\"" << num(low - 0.25 * dip + 4) << "\">NV" << l.links
        << "</text>\n";
  }
  out << "</svg>\n";
}

}  // namespace rigcheck::report::detail

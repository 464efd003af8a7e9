// lspci -vv LnkCap/LnkSta lines. Their wording follows the pciutils version: before 3.6
// "LnkSta: Speed 8GT/s, Width x16, TrErr- …" (compare with LnkCap yourself); 3.6-3.7 "Speed
// 8GT/s (ok), Width x16 (ok)"; 3.8+ nothing when equal and " (downgraded)" only on endpoints and
// upstream ports. "Speed unknown" (an lspci older than the link's generation) stays unknown.
// A device's header line ("62:00.0 VGA compatible controller: NVIDIA …") names what follows.

#include <algorithm>
#include <cctype>

#include "lspci_common.h"
#include "rigcheck/ingest/blocks.h"
#include "rigcheck/ingest/parsers.h"
#include "rigcheck/topology/pcie_link.h"

namespace rigcheck::ingest {

std::string lspci_header_bdf(std::string_view t) {
  auto tok = tokens(t);
  if (tok.size() < 3 || tok[0].size() < 7) return "";
  std::string b(tok[0]);
  if (std::count(b.begin(), b.end(), ':') == 1) b = "0000:" + b;
  auto a = topology::PciAddress::parse(b);
  return a && t.find(':', tok[0].size()) != std::string_view::npos ? a->str() : "";
}

namespace {

// "Speed 16GT/s" -> 4, "Width x16" -> 16, from the text after the tag.
topology::LinkState link_of(std::string_view t) {
  topology::LinkState l;
  if (size_t s = t.find("Speed "); s != std::string_view::npos) {
    auto tok = tokens(t.substr(s + 6));
    if (!tok.empty()) {
      std::string v(tok[0]);
      while (!v.empty() && (v.back() == ',' )) v.pop_back();
      if (auto g = topology::pcie_gen_from_speed_string(v)) l.gen = *g;
    }
  }
  if (size_t w = t.find("Width x"); w != std::string_view::npos) l.width = std::atoi(std::string(t.substr(w + 7, 3)).c_str());
  return l;
}

}  // namespace

std::pair<int, int> scan_lspci_links(const std::vector<Line>& lines, const std::string& file, PartialMachine& m) {
  std::pair<int, int> span{0, 0};
  std::string device, name;
  topology::LinkState cap;
  for (const auto& l : lines) {
    const std::string_view t = trim(l.text());
    if (t.empty()) continue;
    if (!std::isspace(static_cast<unsigned char>(l.text()[0])) && std::isxdigit(static_cast<unsigned char>(t[0]))) {
      if (std::string bdf = lspci_header_bdf(t); !bdf.empty()) {
        device = bdf;
        name = std::string(trim(t.substr(t.find(':', t.find(' ')) + 1)));
        cap = {};
        continue;
      }
    }
    if (starts_with(t, "LnkCap:")) {
      cap = link_of(t.substr(7));
    } else if (starts_with(t, "LnkSta:")) {
      LspciLink k;
      k.device = device;
      k.name = name;
      k.cap = cap;
      k.sta = link_of(t.substr(7));
      const std::string_view rest = t.substr(7);
      const size_t width_at = rest.find("Width");
      k.speed_downgraded = contains(rest.substr(0, width_at), "downgraded");
      k.width_downgraded = width_at != std::string_view::npos && contains(rest.substr(width_at), "downgraded");
      k.from.file = file;
      k.from.line = l.number;
      k.from.tool = kLspci;
      if (!k.sta.gen && !k.sta.width) continue;
      m.lspci.push_back(std::move(k));
      cap = {};
      if (!span.first) span.first = l.number;
      span.second = l.number;
    }
  }
  return span;
}

}  // namespace rigcheck::ingest

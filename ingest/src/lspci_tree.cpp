// `lspci -t` / `lspci -tv` trees: which bridge each function sits under. lspci draws one bus's
// functions as siblings whose branch markers ('+-', '\-') share a column; a bridge prints its
// secondary bus range ("-[05-10]") and its children to the right, either one ("----00.0") or a
// branch ("--+-00.0") whose later siblings come on the following lines at that '+''s column.
// Multi-domain trees start each root bus with "[0000:20]". Columns carry the structure, so a
// paste whose spaces were collapsed cannot be read back: such lines are skipped, never guessed.
//
//   -[0000:00]-+-00.0  Intel Corporation … Host Bridge
//              +-01.0-[01]----00.0  NVIDIA Corporation GA102 [GeForce RTX 3090]
//              +-02.1-[04-10]----00.0-[05-10]--+-00.0-[06]----00.0
//              |                               \-08.0-[0d]----00.0

#include <cctype>
#include <map>
#include <optional>

#include "rigcheck/ingest/blocks.h"
#include "rigcheck/ingest/parsers.h"

namespace rigcheck::ingest {

namespace {

bool hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

// "DD.F" at s[i]: two hex digits, a dot, one octal digit.
bool device_at(std::string_view s, size_t i) {
  return i + 4 <= s.size() && hex(s[i]) && hex(s[i + 1]) && s[i + 2] == '.' && s[i + 3] >= '0' && s[i + 3] <= '7' &&
         (i + 4 == s.size() || s[i + 4] == '-' || s[i + 4] == ' ');
}

struct Bus {
  std::string domain;  // "0000"
  std::string bus;     // "05"
  std::string bridge;  // BDF of the bridge whose secondary bus this is; "" for a root bus
  std::string root;    // "0000:00"
};

// "[0000:20]" or "[05]" / "[05-10]" at s[i]; returns the position after ']' or npos.
size_t bracket(std::string_view s, size_t i, std::string& first) {
  if (i >= s.size() || s[i] != '[') return std::string_view::npos;
  const size_t close = s.find(']', i);
  if (close == std::string_view::npos || close - i > 12) return std::string_view::npos;
  first = std::string(s.substr(i + 1, close - i - 1));
  return close + 1;
}

class TreeReader {
 public:
  TreeReader(const std::string& file, PartialMachine& m) : file_(file), m_(m) {}

  // Reads one line of a tree; false when the line is not tree syntax.
  bool line(const Line& l) {
    const std::string_view s = l.text();
    size_t i = 0;
    while (i < s.size() && (s[i] == ' ' || s[i] == '|')) ++i;
    if (i >= s.size()) return false;
    const std::string_view rest = s.substr(i);
    if (!(starts_with(rest, "+-") || starts_with(rest, "\\-") || starts_with(rest, "-+-") || starts_with(rest, "-["))) return false;
    line_ = l.number;
    // A root bus: "-[0000:00]-+-", " +-[0000:20]-+-", " \-[0000:e0]---".
    const size_t open = s.find('[', i);
    if (open != std::string_view::npos && open < i + 4) {
      std::string dom_bus;
      const size_t after = bracket(s, open, dom_bus);
      if (after != std::string_view::npos && dom_bus.size() == 7 && dom_bus[4] == ':') {
        Bus root{dom_bus.substr(0, 4), dom_bus.substr(5, 2), "", dom_bus};
        return children(s, after, root);
      }
    }
    // A sibling of an earlier line: its marker's column names the bus.
    auto it = column_bus_.find(i);
    if (it == column_bus_.end()) return true;  // tree syntax, but not a column seen (collapsed spaces): skip
    return function(s, i + 2, it->second);
  }

 private:
  // After a bridge's bracket (or a root bus): "--+-DD.F" (a branch), "----DD.F" / "---DD.F" (one
  // child), or nothing (an empty bus).
  bool children(std::string_view s, size_t i, const Bus& bus) {
    size_t dashes = 0;
    while (i < s.size() && s[i] == '-') ++i, ++dashes;
    if (i < s.size() && s[i] == '+' && i + 1 < s.size() && s[i + 1] == '-') {
      column_bus_[i] = bus;
      return function(s, i + 2, bus);
    }
    if (dashes >= 2 && device_at(s, i)) return function(s, i, bus);
    return true;
  }

  bool function(std::string_view s, size_t i, const Bus& bus) {
    if (!device_at(s, i)) return true;
    ImportedPciNode n;
    n.device = bus.domain + ":" + bus.bus + ":" + std::string(s.substr(i, 4));
    n.parent = bus.bridge;
    n.root_bus = bus.root;
    n.from.file = file_;
    n.from.line = line_;
    n.from.tool = kLspci;
    n.from.version = "-t tree";
    size_t j = i + 4;
    std::string range;
    if (j < s.size() && s[j] == '-' && j + 1 < s.size() && s[j + 1] == '[') {
      const size_t after = bracket(s, j + 1, range);
      if (after != std::string_view::npos && range.size() >= 2 && hex(range[0]) && hex(range[1])) {
        n.bridge = true;
        Bus child{bus.domain, range.substr(0, 2), n.device, bus.root};
        add(std::move(n));
        return children(s, after, child);
      }
    }
    n.name = std::string(trim(s.substr(j)));
    add(std::move(n));
    return true;
  }

  void add(ImportedPciNode n) {
    if (m_.pci_tree.size() >= kMaxNodes) return;
    for (const auto& x : m_.pci_tree)
      if (x.device == n.device && x.from.tool == n.from.tool) return;  // a second paste of the same tree
    m_.pci_tree.push_back(std::move(n));
  }

  // Far more functions than any machine has: a pathological paste stays small.
  static constexpr size_t kMaxNodes = 4096;
  std::string file_;
  PartialMachine& m_;
  int line_ = 0;
  std::map<size_t, Bus> column_bus_;
};

}  // namespace

std::pair<int, int> scan_lspci_tree(const std::vector<Line>& lines, const std::string& file, PartialMachine& m) {
  std::pair<int, int> span{0, 0};
  std::optional<TreeReader> tree;
  for (const auto& l : lines) {
    const std::string_view t = trim(l.text());
    // A tree starts at a root bus line; it ends at the first line that is not tree syntax.
    const bool root = (starts_with(t, "-[") || starts_with(t, "-+-[") || starts_with(t, "+-[") || starts_with(t, "\\-[")) &&
                      t.find(':') != std::string_view::npos && t.find(':') < 12;
    if (!tree && !root) continue;
    if (!tree) tree.emplace(file, m);
    if (!tree->line(l)) {
      tree.reset();
      continue;
    }
    if (!span.first) span.first = l.number;
    span.second = l.number;
  }
  return span;
}

}  // namespace rigcheck::ingest

// NCCL's topology dump (NCCL_TOPO_DUMP_FILE; src/graph/xml.cc), one element per line:
//   <system version="1">
//     <cpu host_hash="0x…" numaid="0" affinity="…" arch="x86_64" vendor="GenuineIntel" …>
//       <pci busid="0000:a1:00.0" class="0x060400" vendor="0x104c" device="0x8232" … link_speed="16.0 GT/s PCIe" link_width="16">
//         <pci busid="0000:a4:00.0" class="0x030200" vendor="0x10de" device="0x2330" …>
//           <gpu dev="0" sm="90" rank="0" gdr="1">
//             <nvlink target="0000:f5:00.0" count="5" tclass="0x068000"/>   (an NVSwitch; a GPU has class 0x030200)
//           </gpu>
//         </pci>
//         <pci busid="…" class="0x020000" …><nic><net name="mlx5_7" dev="7" speed="200000" port="1" … gdr="1"/></nic></pci>
// Nested <pci> are the bridges NCCL kept (switch ports, CPU root ports collapse into the <cpu>).
// link_speed/link_width are the sysfs maximum (min of device and port), 0/"" in many VMs, and for
// GPUs NVML's current generation in NCCL 2.30+: a nominal figure, not a downtraining signal.
// "fffffff:ff:ff.0" targets are NVSwitches NCCL could not see (VMs). RCCL writes version="2".
// Pasted fragments (no <system>, closing tags without their opening ones) are read as far as
// they go.

#include <algorithm>
#include <cstdlib>
#include <optional>

#include "rigcheck/ingest/blocks.h"
#include "rigcheck/ingest/parsers.h"
#include "rigcheck/topology/gpu_models.h"
#include "rigcheck/topology/pcie_link.h"

namespace rigcheck::ingest {

namespace {

// Attribute `key` of the element text `el` ("" when absent).
std::string attr(std::string_view el, std::string_view key) {
  size_t at = 0;
  while ((at = el.find(key, at)) != std::string_view::npos) {
    const bool starts = at > 0 && (el[at - 1] == ' ' || el[at - 1] == '\t');
    const size_t eq = at + key.size();
    if (starts && eq + 1 < el.size() && el[eq] == '=' && el[eq + 1] == '"') {
      const size_t close = el.find('"', eq + 2);
      if (close == std::string_view::npos) return "";
      return std::string(el.substr(eq + 2, close - eq - 2));
    }
    at = eq;
  }
  return "";
}

long number(const std::string& s, int base = 10) {
  if (s.empty()) return -1;
  char* end = nullptr;
  const long v = std::strtol(s.c_str(), &end, base);
  return end && *end == 0 ? v : -1;
}

struct Open {
  enum Kind { cpu, pci, gpu, nic, other } kind = other;
  int numa = -1;
  std::string busid;   // pci: its BDF, normalised; "" when it does not parse
  size_t gpu_index = 0;  // gpu: index into m.xml_gpus
};

class XmlReader {
 public:
  XmlReader(const std::string& file, PartialMachine& m) : file_(file), m_(m) {}

  void element(std::string_view el, int line, const std::string& version) {
    line_ = line;
    version_ = version;
    if (el.size() < 2) return;
    if (el[0] == '/') return close(el.substr(1));
    const bool self_closing = el.back() == '/';
    const std::string_view name = el.substr(0, el.find_first_of(" \t/"));
    Open o;
    if (name == "cpu") {
      o.kind = Open::cpu;
      const long numa = number(attr(el, "numaid"), 0);
      o.numa = numa >= 0 && numa < 4096 ? static_cast<int>(numa) : -1;
    } else if (name == "pci") {
      o.kind = Open::pci;
      o.busid = pci(el);
    } else if (name == "gpu") {
      o.kind = Open::gpu;
      o.gpu_index = gpu(el);
    } else if (name == "nic") {
      o.kind = Open::nic;
    } else if (name == "net") {
      net(el);
    } else if (name == "nvlink") {
      nvlink(el);
    }
    if (!self_closing && name != "net" && name != "nvlink" && stack_.size() < 64) stack_.push_back(o);
  }

  // GPUs that reach NVSwitches: every pair of them is connected through the fabric with the
  // smaller of their link counts (as nvidia-smi topo -m prints NV18 on an HGX H100).
  void finish() {
    for (size_t i = first_gpu_; i < m_.xml_gpus.size(); ++i)
      for (size_t j = i + 1; j < m_.xml_gpus.size(); ++j) {
        const auto& a = m_.xml_gpus[i];
        const auto& b = m_.xml_gpus[j];
        if (a.dev < 0 || b.dev < 0 || a.dev == b.dev) continue;
        int direct = 0, switch_a = 0, switch_b = 0;
        for (const auto& l : a.nvlinks) {
          if (l.target == b.device) direct += l.count;
          if (l.target_class >> 8 == 0x0680) switch_a += l.count;
        }
        for (const auto& l : b.nvlinks)
          if (l.target_class >> 8 == 0x0680) switch_b += l.count;
        const int links = direct ? direct : std::min(switch_a, switch_b);
        if (links > 0) {
          ImportedPair& p = pair_at(m_, a.dev, b.dev);
          if (p.nvlink_links == 0) p.nvlink_links = links, p.from = a.from;
        }
      }
  }

 private:
  Provenance here() const {
    Provenance p;
    p.file = file_;
    p.line = line_;
    p.tool = kNcclTopologyXml;
    p.version = version_;
    return p;
  }

  const Open* innermost(Open::Kind k) const {
    for (size_t i = stack_.size(); i-- > 0;)
      if (stack_[i].kind == k) return &stack_[i];
    return nullptr;
  }

  void close(std::string_view name) {
    name = name.substr(0, name.find_first_of(" \t>"));
    const Open::Kind k = name == "cpu" ? Open::cpu : name == "pci" ? Open::pci : name == "gpu" ? Open::gpu : name == "nic" ? Open::nic : Open::other;
    for (size_t i = stack_.size(); i-- > 0;)
      if (stack_[i].kind == k) {
        stack_.resize(i);
        return;
      }
    // A closing tag whose opening one is not in the paste (a fragment): nothing to pop.
  }

  std::string pci(std::string_view el) {
    auto address = topology::PciAddress::parse(attr(el, "busid"));
    if (!address || m_.pci_tree.size() >= 4096) return address ? address->str() : "";
    ImportedPciNode n;
    n.device = address->str();
    const Open* parent = innermost(Open::pci);
    n.parent = parent ? parent->busid : "";
    const Open* cpu = innermost(Open::cpu);
    n.numa_node = cpu ? cpu->numa : -1;
    n.root_bus = cpu && cpu->numa >= 0 ? "numa " + std::to_string(cpu->numa) : "";
    const long cls = number(attr(el, "class"), 16);
    if (cls > 0) n.class_id = static_cast<uint16_t>(cls >> 8);
    n.bridge = n.class_id == 0x0604;
    if (long v = number(attr(el, "vendor"), 16); v > 0) n.vendor_id = static_cast<uint16_t>(v);
    if (long d = number(attr(el, "device"), 16); d > 0) n.device_id = static_cast<uint16_t>(d);
    if (auto g = topology::pcie_gen_from_speed_string(attr(el, "link_speed"))) n.link.gen = *g;
    if (long w = number(attr(el, "link_width")); w > 0 && w <= 32) n.link.width = static_cast<int>(w);
    n.from = here();
    for (const auto& x : m_.pci_tree)
      if (x.device == n.device && x.from.tool == kNcclTopologyXml) return n.device;  // a second dump of the same machine
    m_.pci_tree.push_back(std::move(n));
    return address->str();
  }

  size_t gpu(std::string_view el) {
    // More GPUs than any dump has (a pasted dump repeated thousands of times): the rest are
    // not kept, and finish() stays quadratic in a bounded number.
    if (m_.xml_gpus.size() >= kMaxGpus) return m_.xml_gpus.size();
    NcclXmlGpu g;
    const Open* parent = innermost(Open::pci);
    g.device = parent ? parent->busid : "";
    g.dev = static_cast<int>(std::clamp(number(attr(el, "dev")), -1L, 4097L));
    g.sm = static_cast<int>(std::clamp(number(attr(el, "sm")), 0L, 10000L));
    if (const std::string gdr = attr(el, "gdr"); !gdr.empty()) g.gdr = gdr == "1";
    g.from = here();
    if (g.dev >= 0 && g.dev <= 4096) {
      ImportedGpu& ig = gpu_at(m_, g.dev);
      if (!ig.address && !g.device.empty()) ig.address = topology::PciAddress::parse(g.device);
      // The dump names no model; the PCI device id does, when rigcheck's table knows it. A name
      // another tool printed is kept (theirs is the marketing name).
      for (const auto& n : m_.pci_tree)
        if (n.device == g.device && n.vendor_id == 0x10de && ig.name.empty())
          if (const auto* model = topology::find_gpu_model(n.device_id)) ig.name = model->name, ig.from = g.from;
    }
    m_.xml_gpus.push_back(std::move(g));
    return m_.xml_gpus.size() - 1;
  }

  void nvlink(std::string_view el) {
    const Open* g = innermost(Open::gpu);
    if (!g || g->gpu_index >= m_.xml_gpus.size()) return;
    NcclXmlGpu::NvLink l;
    l.target = attr(el, "target");
    if (auto a = topology::PciAddress::parse(l.target)) l.target = a->str();
    l.count = static_cast<int>(std::clamp(number(attr(el, "count")), 0L, 1024L));  // sums of these stay in range
    const long cls = number(attr(el, "tclass"), 16);
    l.target_class = cls > 0 ? static_cast<uint32_t>(cls) : 0;
    if (m_.xml_gpus[g->gpu_index].nvlinks.size() < 64) m_.xml_gpus[g->gpu_index].nvlinks.push_back(l);
  }

  void net(std::string_view el) {
    ImportedNic n;
    n.name = attr(el, "name");
    const Open* parent = innermost(Open::pci);
    n.device = parent ? parent->busid : "";
    n.speed_mbps = static_cast<int>(std::clamp(number(attr(el, "speed"), 10), 0L, 100000000L));
    if (const std::string gdr = attr(el, "gdr"); !gdr.empty()) n.gdr = gdr == "1";
    n.from = here();
    if (n.name.empty() || m_.nic_devices.size() >= 256) return;
    for (const auto& x : m_.nic_devices)
      if (x.name == n.name && x.device == n.device) return;
    if (std::find(m_.nics.begin(), m_.nics.end(), n.name) == m_.nics.end()) m_.nics.push_back(n.name);
    m_.nic_devices.push_back(std::move(n));
  }

  static constexpr size_t kMaxGpus = 1024;
  std::string file_;
  PartialMachine& m_;
  int line_ = 0;
  std::string version_;
  std::vector<Open> stack_;
  size_t first_gpu_ = 0;

 public:
  void begin() { first_gpu_ = m_.xml_gpus.size(); }
};

bool starts_xml(std::string_view t) {
  return starts_with(t, "<system version=") || starts_with(t, "<pci busid=") || starts_with(t, "<gpu dev=") ||
         (starts_with(t, "<cpu ") && contains(t, "numaid="));
}

}  // namespace

std::pair<int, int> scan_nccl_topology_xml(const std::vector<Line>& lines, const std::string& file, PartialMachine& m) {
  std::pair<int, int> span{0, 0};
  std::optional<XmlReader> xml;
  std::string version;
  for (const auto& l : lines) {
    const std::string_view t = trim(l.text());
    if (!xml) {
      if (!starts_xml(t)) continue;
      xml.emplace(file, m);
      xml->begin();
      version = starts_with(t, "<system") ? "system version=\"" + attr(t, "version") + "\"" : "fragment";
    } else if (t.empty() || t.front() != '<') {  // the dump ends at the first line that is not an element
      xml->finish();
      xml.reset();
      continue;
    }
    // Every element on the line ("<nic><net …/></nic>" can share one).
    for (size_t at = t.find('<'); at != std::string_view::npos; at = t.find('<', at + 1)) {
      const size_t end = t.find('>', at);
      if (end == std::string_view::npos) break;  // cut inside an element
      std::string_view el = trim(t.substr(at + 1, end - at - 1));
      if (!el.empty() && el[0] != '!' && el[0] != '?') xml->element(el, l.number, version);
      at = end;
    }
    if (!span.first) span.first = l.number;
    span.second = l.number;
  }
  if (xml) xml->finish();
  return span;
}

}  // namespace rigcheck::ingest

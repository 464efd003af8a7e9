#include "rigcheck/report/redact.h"

#include <atomic>
#include <cctype>
#include <cstdlib>
#include <set>
#include <string_view>

namespace rigcheck::report {
namespace {

std::atomic<bool> g_redact{true};

bool hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }
bool digit(char c) { return c >= '0' && c <= '9'; }
bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-'; }

// Length of `n` hex digits at s[i], else 0.
size_t hex_run(std::string_view s, size_t i, size_t n) {
  if (i + n > s.size()) return 0;
  for (size_t k = 0; k < n; ++k)
    if (!hex(s[i + k])) return 0;
  return n;
}

// A UUID (8-4-4-4-12 hex digits) at s[i]: its length, else 0.
size_t uuid_at(std::string_view s, size_t i) {
  size_t at = i;
  for (size_t group : {8, 4, 4, 4, 12}) {
    if (group != 8) {
      if (at >= s.size() || s[at] != '-') return 0;
      ++at;
    }
    if (!hex_run(s, at, group)) return 0;
    at += group;
  }
  return at - i;
}

// Groups of two hex digits joined by ':' or '-', 6 (MAC) or 8 (GUID) of them; or 0x and 16 hex digits.
size_t guid_at(std::string_view s, size_t i) {
  if (s.substr(i, 2) == "0x" && hex_run(s, i + 2, 16) && (i + 18 == s.size() || !hex(s[i + 18]))) return 18;
  size_t at = i, groups = 0;
  while (hex_run(s, at, 2)) {
    ++groups;
    at += 2;
    if (at < s.size() && (s[at] == ':' || s[at] == '-') && hex_run(s, at + 1, 2) && groups < 8) ++at;
    else break;
  }
  if ((groups == 6 || groups == 8) && (at == s.size() || !hex(s[at]))) return at - i;
  return 0;
}

// An IPv4 address (four numbers up to 255), with ":port", at s[i].
size_t ipv4_at(std::string_view s, size_t i) {
  size_t at = i;
  for (int part = 0; part < 4; ++part) {
    if (part) {
      if (at >= s.size() || s[at] != '.') return 0;
      ++at;
    }
    size_t n = 0;
    int v = 0;
    while (at + n < s.size() && digit(s[at + n]) && n < 3) v = v * 10 + (s[at + n++] - '0');
    if (n == 0 || v > 255) return 0;
    at += n;
  }
  if (at < s.size() && (digit(s[at]) || s[at] == '.')) return 0;  // a version number such as 2.28.9.1.2
  if (at + 1 < s.size() && s[at] == ':' && digit(s[at + 1])) {
    ++at;
    while (at < s.size() && digit(s[at])) ++at;
  }
  return at - i;
}

// An IPv6 address at s[i]: hex groups and colons with a "::" or at least seven colons. A PCI
// address (0000:01:00.0) has two colons and no "::", so it is not one.
size_t ipv6_at(std::string_view s, size_t i) {
  size_t at = i, colons = 0;
  bool double_colon = false;
  while (at < s.size() && (hex(s[at]) || s[at] == ':')) {
    if (s[at] == ':') {
      ++colons;
      if (at + 1 < s.size() && s[at + 1] == ':') double_colon = true;
    }
    ++at;
  }
  if (colons < 2 || (!double_colon && colons < 7) || at - i < 3) return 0;
  if (at < s.size() && (s[at] == '.' || word_char(s[at]))) return 0;
  return at - i;
}

std::string user_name() {
  for (const char* v : {"SUDO_USER", "USER", "LOGNAME"})
    if (const char* u = std::getenv(v); u && *u && std::string_view(u) != "root") return u;
  return {};
}

// "/home/alice/x" -> "/home/<user>/x", and $HOME and the user's name wherever they appear as a path component.
std::string redact_home(std::string s) {
  // $HOME first: it may itself be below /home/.
  if (const char* home = std::getenv("HOME"); home && std::string_view(home).size() > 1 && std::string_view(home) != "/root") {
    for (size_t at = s.find(home); at != std::string::npos; at = s.find(home, at)) s.replace(at, std::string_view(home).size(), "~");
  }
  for (std::string_view base : {"/home/", "/Users/"}) {
    for (size_t at = s.find(base); at != std::string::npos; at = s.find(base, at + 1)) {
      const size_t name = at + base.size();
      size_t end = name;
      while (end < s.size() && s[end] != '/' && s[end] != ' ' && s[end] != ':' && s[end] != '"') ++end;
      if (end > name && s.compare(name, end - name, "<user>") != 0) s.replace(name, end - name, "<user>");
    }
  }
  if (const std::string user = user_name(); user.size() >= 3) {
    const std::string component = "/" + user;
    for (size_t at = s.find(component); at != std::string::npos; at = s.find(component, at + 1)) {
      const size_t end = at + component.size();
      if (end == s.size() || s[end] == '/') s.replace(at + 1, user.size(), "<user>");
    }
  }
  return s;
}

}  // namespace

void set_redaction(bool on) { g_redact = on; }
bool redaction_enabled() { return g_redact; }

std::string redact_text(const std::string& text) {
  std::string_view s(text);
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < s.size();) {
    // Only at the start of a token, so that the tail of a longer hex string is not taken for one.
    const bool start = i == 0 || !hex(s[i - 1]);
    size_t n = 0;
    if (start && (n = uuid_at(s, i))) {
      out += "<uuid>";
    } else if (start && (n = guid_at(s, i))) {
      out += "<guid>";
    } else if (start && !(i > 0 && (s[i - 1] == '.' || digit(s[i - 1]))) && (n = ipv4_at(s, i))) {
      out += "<address>";
    } else if (start && (n = ipv6_at(s, i))) {
      out += "<address>";
    } else {
      out += s[i];
      n = 1;
    }
    i += n;
  }
  return redact_home(out);
}

std::vector<std::string> redact_command_line(const std::vector<std::string>& argv) {
  std::vector<std::string> out;
  for (size_t k = 0; k < argv.size(); ++k) {
    std::string a = argv[k];
    if (k == 0) {
      out.push_back(a.substr(a.rfind('/') == std::string::npos ? 0 : a.rfind('/') + 1));
      continue;
    }
    // An absolute path, the whole argument or after "--option=": its directories say who and where.
    const size_t at = a.rfind('=', a.find('/')) == std::string::npos ? 0 : a.rfind('=', a.find('/')) + 1;
    if (at < a.size() && a[at] == '/') {
      const size_t last = a.rfind('/');
      a = a.substr(0, at) + ".../" + a.substr(last + 1);
    }
    out.push_back(redact_text(a));
  }
  return out;
}

std::map<std::string, std::string> redact_environment(const std::map<std::string, std::string>& env) {
  static const std::set<std::string> kNetwork = {"NCCL_COMM_ID", "NCCL_SOCKET_IFNAME", "NCCL_IB_HCA", "NCCL_HOSTID"};
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : env) out[k] = kNetwork.count(k) ? "<redacted>" : redact_text(v);
  return out;
}

std::string redact_nccl_topology(const std::string& xml) {
  // Attribute by attribute: name="value" inside tags; values of identifying attributes replaced.
  std::string out;
  out.reserve(xml.size());
  std::string tag;
  for (size_t i = 0; i < xml.size();) {
    if (xml[i] == '<') {
      size_t end = i + 1;
      while (end < xml.size() && word_char(xml[end])) ++end;
      tag = xml.substr(i + 1, end - i - 1);
      out.append(xml, i, end - i);
      i = end;
      continue;
    }
    if (xml[i] == '"' && i > 1 && xml[i - 1] == '=') {
      size_t key_end = i - 1, key_start = key_end;
      while (key_start > 0 && word_char(xml[key_start - 1])) --key_start;
      const std::string key = xml.substr(key_start, key_end - key_start);
      const size_t close = xml.find('"', i + 1);
      if (close == std::string::npos) break;
      const bool identifying = key == "host_hash" || key.find("guid") != std::string::npos ||
                               (key == "name" && (tag == "net" || tag == "nic"));
      out += '"';
      out += identifying ? "<redacted>" : xml.substr(i + 1, close - i - 1);
      out += '"';
      i = close + 1;
      continue;
    }
    out += xml[i++];
  }
  return redact_text(out);
}

}  // namespace rigcheck::report

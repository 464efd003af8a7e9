#include "rigcheck/topology/rooted_fs.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>

#include "rigcheck/topology/errors.h"
#include "rigcheck/topology/input_file.h"

namespace rigcheck::topology {

namespace fs = std::filesystem;

RootedFs::RootedFs(std::string root) : root_(std::move(root)) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
  if (root_ == "/") root_.clear();
}

std::string RootedFs::path(std::string_view absolute) const { return root_ + std::string(absolute); }

bool RootedFs::exists(std::string_view absolute) const {
  std::error_code ec;
  return fs::exists(path(absolute), ec);
}

std::optional<std::string> RootedFs::read_text(std::string_view absolute) const {
  // Bounded and regular files only: a fake root is the user's input, and a FIFO or a link to
  // /dev/zero in it must not hang or fill rigcheck. Unreadable is what callers already handle.
  std::string s;
  try {
    s = read_input_file(path(absolute), kSysfsInput);
  } catch (const InputError&) {
    return std::nullopt;
  }
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\t' || s.back() == '\0')) s.pop_back();
  return s;
}

std::optional<long> RootedFs::read_long(std::string_view absolute, int base) const {
  auto text = read_text(absolute);
  if (!text || text->empty()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  long v = std::strtol(text->c_str(), &end, base);
  if (errno != 0 || end == text->c_str()) return std::nullopt;
  return v;
}

std::optional<std::string> RootedFs::link_target_name(std::string_view absolute) const {
  std::error_code ec;
  auto target = fs::read_symlink(path(absolute), ec);
  if (ec) return std::nullopt;
  return target.filename().string();
}

std::vector<std::string> RootedFs::list_dir(std::string_view absolute) const {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(path(absolute), ec), end; !ec && it != end; it.increment(ec)) {
    names.push_back(it->path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace rigcheck::topology

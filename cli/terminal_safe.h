#pragma once
// What rigcheck prints comes partly from the machine and from files (GPU and DMI names, rig and
// report fields): an escape sequence in one must not drive the user's terminal (move the cursor,
// retitle the window, hide lines). The CLI's standard output and error go through this filter,
// which replaces C0 control characters other than newline and tab, DEL, and the UTF-8 encoded C1
// controls (U+0080..U+009F) with '?'. JSON output is unaffected: it escapes control characters.

#include <mutex>
#include <ostream>
#include <sstream>
#include <streambuf>
#include <string>

namespace rigcheck::cli {

// The filtered text is held until a line is complete (or a flush, or 64 KiB) and then passed on in
// one call: stderr is unbuffered, so passing byte by byte made every byte its own write(2), and
// under mpirun, which forwards each rank's output as it arrives, lines came out cut and mixed
// with other ranks' and Open MPI's own ("...ended with MPI", its abort banner, then "_Abort").
class TerminalSafeBuf : public std::streambuf {
 public:
  explicit TerminalSafeBuf(std::streambuf* to) : to_(to) {}

 protected:
  // Locked, so that one insertion (one sputc or sputn) is held and passed whole even when two
  // threads write; a line made of several `<<` can still interleave with another thread's, as on
  // any std::ostream.
  int_type overflow(int_type c) override {
    if (c == traits_type::eof()) return traits_type::not_eof(c);
    const std::lock_guard<std::mutex> lock(mutex_);
    put(static_cast<unsigned char>(c));
    // Only a newline or a full buffer can make something passable: no search per byte.
    if (c != '\n' && held_.size() < kMaxHeld) return c;
    return pass(held_.size()) ? c : traits_type::eof();
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    const std::lock_guard<std::mutex> lock(mutex_);
    for (std::streamsize i = 0; i < n; ++i) {
      put(static_cast<unsigned char>(s[i]));
      if (held_.size() >= kMaxHeld && !pass(held_.size())) return i;
    }
    const size_t end = held_.rfind('\n');
    return end == std::string::npos || pass(end + 1) ? n : 0;
  }
  int sync() override {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (pending_c2_) {
      // A flush cannot wait for the next byte: the lead byte goes as it is, and a C1 byte that
      // follows in a later write is still replaced (put).
      held_ += static_cast<char>(0xc2);
      pending_c2_ = false;
      passed_lone_c2_ = true;
    }
    if (!pass(held_.size())) return -1;
    return to_->pubsync();
  }

 private:
  static constexpr size_t kMaxHeld = 64 * 1024;

  void put(unsigned char c) {
    const bool after_c2 = pending_c2_ || passed_lone_c2_;
    const bool held_c2 = pending_c2_;
    pending_c2_ = passed_lone_c2_ = false;
    if (after_c2 && c >= 0x80 && c <= 0x9f) {
      held_ += '?';  // a C1 control (U+0080..U+009F)
      return;
    }
    if (held_c2) held_ += static_cast<char>(0xc2);
    if (c == 0xc2) {
      pending_c2_ = true;  // decided by the next byte
      return;
    }
    held_ += ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) ? '?' : static_cast<char>(c);
  }
  // Passes the first n bytes held. On a failed write what is held is dropped, so that a caller
  // told of the failure (ostream sets badbit) never gets the same text written twice later.
  bool pass(size_t n) {
    if (n == 0) return true;
    if (to_->sputn(held_.data(), static_cast<std::streamsize>(n)) == static_cast<std::streamsize>(n)) {
      held_.erase(0, n);
      return true;
    }
    held_.clear();
    return false;
  }

  std::streambuf* to_;
  std::mutex mutex_;
  std::string held_;
  bool pending_c2_ = false;      // a 0xc2 not yet passed, decided by the next byte
  bool passed_lone_c2_ = false;  // a flush passed a pending 0xc2 as it was
};

// The same filter on one piece of text, for what is written past std::cout/std::cerr (the
// live status line goes to the terminal in one write(2) of its own).
inline std::string terminal_safe(const std::string& text) {
  std::stringbuf to;
  {
    TerminalSafeBuf safe(&to);
    std::ostream os(&safe);
    os << text << std::flush;
  }
  return to.str();
}

}  // namespace rigcheck::cli

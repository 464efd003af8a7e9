#pragma once
// What rigcheck prints comes partly from the machine and from files (GPU and DMI names, rig and
// report fields): an escape sequence in one must not drive the user's terminal (move the cursor,
// retitle the window, hide lines). The CLI's standard output and error go through this filter,
// which replaces C0 control characters other than newline and tab, DEL, and the UTF-8 encoded C1
// controls (U+0080..U+009F) with '?'. JSON output is unaffected: it escapes control characters.

#include <streambuf>

namespace rigcheck::cli {

class TerminalSafeBuf : public std::streambuf {
 public:
  explicit TerminalSafeBuf(std::streambuf* to) : to_(to) {}

 protected:
  int_type overflow(int_type c) override {
    if (c == traits_type::eof()) return traits_type::not_eof(c);
    return put(static_cast<unsigned char>(c)) ? c : traits_type::eof();
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    for (std::streamsize i = 0; i < n; ++i)
      if (!put(static_cast<unsigned char>(s[i]))) return i;
    return n;
  }
  int sync() override {
    if (pending_c2_ && to_->sputc(static_cast<char>(0xc2)) == traits_type::eof()) return -1;
    pending_c2_ = false;
    return to_->pubsync();
  }

 private:
  bool put(unsigned char c) {
    if (pending_c2_) {
      pending_c2_ = false;
      if (c >= 0x80 && c <= 0x9f) return emit('?');
      if (!emit(0xc2)) return false;
    }
    if (c == 0xc2) {
      pending_c2_ = true;  // decided by the next byte
      return true;
    }
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) return emit('?');
    return emit(c);
  }
  bool emit(unsigned char c) { return to_->sputc(static_cast<char>(c)) != traits_type::eof(); }

  std::streambuf* to_;
  bool pending_c2_ = false;
};

}  // namespace rigcheck::cli

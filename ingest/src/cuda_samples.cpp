// cuda-samples that check their own results across GPUs, as people paste them when P2P misbehaves:
//
// simpleP2P (Samples/0_Introduction/simpleP2P):
//   > Peer access from NVIDIA GeForce RTX 4090 (GPU0) -> NVIDIA GeForce RTX 4090 (GPU1) : Yes
//   Allocating buffers (64MB on GPU0, GPU1 and CPU Host)...
//   cudaMemcpyPeer / cudaMemcpy between GPU0 and GPU1: 24.20GB/s
//   Verification error @ element 1: val = 0.000000, ref = 4.000000     (at most 12, then it stops)
//   Test failed!            or  Test passed
// The copy figure is 100 cudaMemcpy calls of the buffer alternating GPU0->GPU1 and GPU1->GPU0,
// timed together and divided by 1024^3 (GiB/s printed as "GB/s"): no one direction, so it is the
// sample's own test (simpleP2P.memcpy_ping_pong), converted to GB/s, not a rigcheck catalogue cell.
//
// conjugateGradientMultiDeviceCG (Samples/4_CUDA_Libraries): a CG solve spread over the GPUs
// through peer memory, judged by its residual:
//   GPU Device 0: "NVIDIA GeForce RTX 4090" with compute capability 8.9
//   Device=0 CAN Access Peer Device=1
//   GPU Final, residual = nan
//   &&&& conjugateGradientMultiDeviceCG FAILED        (or PASSED)
// A FAILED solve on GPUs that use peer access is wrong data between them; one without peer
// access ("Devices involved are not p2p capable") is the sample's error, not P2P's.

#include <cctype>
#include <cmath>

#include "rigcheck/ingest/blocks.h"
#include "rigcheck/ingest/parsers.h"

namespace rigcheck::ingest {

namespace {

Provenance at(const BlockInput& in, int line, const char* tool) {
  Provenance p;
  p.file = in.file;
  p.line = line;
  p.tool = tool;
  return p;
}

// "GPU12" -> 12 at the start of `t`; -1 when it is not there.
int gpu_number(std::string_view t) {
  if (!starts_with(t, "GPU")) return -1;
  long n = -1;
  size_t end = 3;
  while (end < t.size() && std::isdigit(static_cast<unsigned char>(t[end]))) ++end;
  return end > 3 && parse_int(t.substr(3, end - 3), n) && n >= 0 && n < 4096 ? static_cast<int>(n) : -1;
}

// "> Peer access from NAME (GPU0) -> NAME (GPU1) : Yes" (the normaliser may have taken the "> "
// for a quote marker).
bool peer_access_line(std::string_view t, const BlockInput& in, int line, PartialMachine& m) {
  if (starts_with(t, "> ")) t.remove_prefix(2);
  if (!starts_with(t, "Peer access from ")) return false;
  const size_t arrow = t.find(" -> "), verdict = t.rfind(" : ");
  if (arrow == std::string_view::npos || arrow < 17 || verdict == std::string_view::npos || verdict < arrow + 4) return false;
  auto side = [](std::string_view s, std::string& name) {
    const size_t open = s.rfind(" (GPU");
    if (s.empty() || open == std::string_view::npos || s.back() != ')') return -1;
    name = std::string(trim(s.substr(0, open)));
    return gpu_number(s.substr(open + 2));
  };
  std::string from_name, to_name;
  const int a = side(trim(t.substr(17, arrow - 17)), from_name);
  const int b = side(trim(t.substr(arrow + 4, verdict - arrow - 4)), to_name);
  const std::string_view answer = trim(t.substr(verdict + 3));
  if (a < 0 || b < 0 || a == b || (answer != "Yes" && answer != "No")) return false;
  const Provenance p = at(in, line, kSimpleP2p);
  name_gpu(m, a, from_name, p);
  name_gpu(m, b, to_name, p);
  ImportedPair& pair = pair_at(m, a, b);
  // Both directions are asked; a pair is granted only when both say Yes.
  const bool yes = answer == "Yes";
  pair.p2p_granted = pair.p2p_granted.value_or(true) && yes;
  pair.p2p_status = std::string("simpleP2P: peer access ") + (*pair.p2p_granted ? "Yes" : "No");
  if (pair.from.file.empty()) pair.from = p;
  return true;
}

}  // namespace

std::string parse_simple_p2p(const BlockInput& in, PartialMachine& m) {
  int first_gpu = -1, second_gpu = -1;
  uint64_t buffer = 0;
  int errors = 0;
  std::string first_error;
  int first_error_line = 0;
  bool verifying = false, passed = false, failed = false, read_any = false;
  int failed_line = 0, last_line = 0;
  for (size_t i = in.begin; i < in.end; ++i) {
    const Line& l = in.lines[i];
    const std::string_view t = trim(l.text());
    if (t.empty()) continue;
    if (peer_access_line(t, in, l.number, m)) {
      read_any = true;
      continue;
    }
    last_line = l.number;
    if (starts_with(t, "Enabling peer access between GPU")) {
      // "Enabling peer access between GPU0 and GPU1...": the two GPUs the test runs on.
      first_gpu = gpu_number(t.substr(29));
      const size_t and_at = t.find(" and GPU");
      second_gpu = and_at == std::string_view::npos ? -1 : gpu_number(t.substr(and_at + 5));
    } else if (starts_with(t, "Allocating buffers (")) {
      long mb = 0;
      const auto tok = tokens(t.substr(20));
      if (!tok.empty() && tok[0].size() > 2 && tok[0].substr(tok[0].size() - 2) == "MB" && parse_int(tok[0].substr(0, tok[0].size() - 2), mb) && mb > 0)
        buffer = static_cast<uint64_t>(mb) << 20;  // buf_size = 16 Mi floats: "64MB" is 64 MiB
    } else if (starts_with(t, "cudaMemcpyPeer / cudaMemcpy between GPU")) {
      const size_t colon = t.rfind(": ");
      const size_t and_at = t.find(" and GPU");
      double gib = 0;
      std::string_view figure = colon == std::string_view::npos ? std::string_view() : trim(t.substr(colon + 2));
      if (figure.size() > 4 && figure.substr(figure.size() - 4) == "GB/s") figure.remove_suffix(4);
      const int a = gpu_number(t.substr(t.find("between GPU") + 8)), b = and_at == std::string_view::npos ? -1 : gpu_number(t.substr(and_at + 5));
      if (a >= 0 && b >= 0 && a != b && parse_number(trim(figure), gib) && gib > 0 && std::isfinite(gib)) {
        ImportedCell c;
        c.test = std::string(kSimpleP2p) + ".memcpy_ping_pong";
        c.foreign = "cudaMemcpyPeer / cudaMemcpy (100 copies alternating both directions, printed in GiB/s)";
        c.row = a;
        c.col = b;
        c.value = gib * 1.073741824;  // GiB/s -> GB/s
        c.unit = "GB/s";
        c.from = at(in, l.number, kSimpleP2p);
        c.from.bytes = buffer;
        c.from.method = "ce";
        m.cells.push_back(c);
        read_any = true;
      }
    } else if (starts_with(t, "Copy data back to host from GPU")) {
      verifying = true;
    } else if (starts_with(t, "Verification error @ element")) {
      if (++errors == 1) first_error = std::string(t.substr(0, 200)), first_error_line = l.number;
      read_any = true;
    } else if (t == "Test passed") {
      passed = read_any = true;
    } else if (starts_with(t, "Test failed")) {
      failed = read_any = true;
      failed_line = l.number;
    } else if (contains(t, "Peer to Peer access is not available amongst GPUs")) {
      read_any = true;  // waived: the pairs say No above
    } else {
      note_failure_line(std::string(t), kSimpleP2p, at(in, l.number, kSimpleP2p), m);
    }
  }
  const std::string pair = first_gpu >= 0 && second_gpu >= 0 ? "GPU" + std::to_string(first_gpu) + "<->GPU" + std::to_string(second_gpu) : "";
  const std::string test = "simpleP2P" + (pair.empty() ? "" : " " + pair);
  if (errors > 0) {
    m.events.push_back({Event::Kind::corrupt, test,
                        first_error + (errors > 1 ? " (and " + std::to_string(errors - 1) + " more such line(s))" : "") +
                            (failed ? "; Test failed!" : ""),
                        at(in, first_error_line, kSimpleP2p)});
  } else if (failed) {
    m.events.push_back({Event::Kind::error, test, "Test failed!", at(in, failed_line, kSimpleP2p)});
  } else if (verifying && !passed) {
    m.events.push_back({Event::Kind::truncated, test, "the output stops before the sample says whether its data check passed",
                        at(in, last_line, kSimpleP2p)});
  }
  if (!read_any) throw ParseError(in.lines[in.begin].number, "simpleP2P output without peer access lines, a copy figure or a result");
  return "";
}

std::string parse_conjugate_gradient_multi_device(const BlockInput& in, PartialMachine& m) {
  const char* tool = kConjugateGradientMultiDevice;
  bool peer = false, launched = false, read_any = false;
  std::string residual, result;
  int result_line = 0, last_line = 0;
  for (size_t i = in.begin; i < in.end; ++i) {
    const Line& l = in.lines[i];
    const std::string_view t = trim(l.text());
    if (t.empty()) continue;
    last_line = l.number;
    long index = -1, other = -1;
    if (starts_with(t, "GPU Device ")) {
      // GPU Device 0: "NVIDIA GeForce RTX 4090" with compute capability 8.9
      const size_t colon = t.find(':'), q1 = t.find('"'), q2 = t.rfind('"');
      if (colon != std::string_view::npos && parse_int(trim(t.substr(11, colon - 11)), index) && index >= 0 && index < 4096 &&
          q1 != std::string_view::npos && q2 > q1)
        name_gpu(m, static_cast<int>(index), std::string(t.substr(q1 + 1, q2 - q1 - 1)), at(in, l.number, tool)), read_any = true;
    } else if (starts_with(t, "Device=") && contains(t, "Access Peer Device=")) {
      // "Device=0 CAN Access Peer Device=1", "Device=0 CANNOT Access Peer Device=1"
      const bool can = contains(t, " CAN Access");
      const auto tok = tokens(t);
      if (parse_int(tok[0].substr(7), index) && parse_int(tok.back().substr(tok.back().find('=') + 1), other) && index >= 0 && other >= 0 &&
          index != other && index < 4096 && other < 4096) {
        ImportedPair& p = pair_at(m, static_cast<int>(index), static_cast<int>(other));
        p.p2p_granted = can;
        p.p2p_status = can ? "CAN Access Peer" : "CANNOT Access Peer";
        if (p.from.file.empty()) p.from = at(in, l.number, tool);
        peer |= can;
        read_any = true;
      }
    } else if (starts_with(t, "Selected p2p capable devices")) {
      peer = true;
    } else if (starts_with(t, "Devices involved are not p2p capable")) {
      peer = false;
    } else if (t == "Launching kernel") {
      launched = true;
    } else if (starts_with(t, "GPU Final, residual = ")) {
      residual = std::string(trim(t.substr(22)));
    } else if (starts_with(t, "&&&& conjugateGradientMultiDeviceCG ")) {
      result = std::string(trim(t.substr(36)));
      result_line = l.number;
      read_any = true;
    } else {
      note_failure_line(std::string(t), tool, at(in, l.number, tool), m);
    }
  }
  if (result == "FAILED") {
    // The solve ran through peer memory: a wrong result is wrong data between the GPUs.
    m.events.push_back({peer ? Event::Kind::corrupt : Event::Kind::error, tool,
                        "&&&& conjugateGradientMultiDeviceCG FAILED" + (residual.empty() ? "" : " (GPU Final, residual = " + residual + ")") +
                            (peer ? "" : "; the GPUs ran without peer access"),
                        at(in, result_line, tool)});
  } else if (result.empty() && launched) {
    m.events.push_back({Event::Kind::truncated, tool,
                        residual.empty() ? "the output stops after \"Launching kernel\": the solve hung, crashed or the paste was cut"
                                         : "the output stops before the sample's PASSED/FAILED line",
                        at(in, last_line, tool)});
  }
  if (!read_any) throw ParseError(in.lines[in.begin].number, "conjugateGradientMultiDeviceCG output without devices or a result");
  return "";
}

}  // namespace rigcheck::ingest

#pragma once
// Finding each tool's output inside a file that may hold several outputs, concatenated or
// scattered through a forum post. A block starts at a token only that tool prints (its banner, a
// test heading, a table header) and runs to the next block's start or the end of the input;
// prose in between is left to the parsers, which skip lines they do not recognise.

#include <string>
#include <vector>

#include "rigcheck/ingest/lines.h"

namespace rigcheck::ingest {

// Tool names as reports show them.
inline constexpr const char* kNvbandwidth = "nvbandwidth";
inline constexpr const char* kNvbandwidthJson = "nvbandwidth-json";
inline constexpr const char* kP2pTest = "p2pBandwidthLatencyTest";
// Its P2P=Disabled (host-staged) one-way matrix, a test of its own: rigcheck has no such cell.
inline constexpr const char* kP2pStagedTest = "p2pBandwidthLatencyTest.unidirectional_p2p_disabled";
inline constexpr const char* kNcclTests = "nccl-tests";
inline constexpr const char* kSmiTopo = "nvidia-smi topo";
inline constexpr const char* kBandwidthTest = "bandwidthTest";
inline constexpr const char* kSimpleP2p = "simpleP2P";
inline constexpr const char* kConjugateGradientMultiDevice = "conjugateGradientMultiDeviceCG";
inline constexpr const char* kKernelLog = "kernel log";
inline constexpr const char* kNcclInfo = "NCCL INFO log";
inline constexpr const char* kLspci = "lspci";
inline constexpr const char* kVllm = "vLLM log";
inline constexpr const char* kNcclTopologyXml = "NCCL topology XML";
// JSON dialects of tools that also print text: block kinds only, reports name the tool.
inline constexpr const char* kNcclTestsJson = "nccl-tests-json";
// rigcheck's own report, read back so a newer rigcheck can diagnose it again.
inline constexpr const char* kRigcheckReport = "rigcheck report";

struct Span {
  std::string tool;
  size_t begin = 0;  // index into the lines
  size_t end = 0;    // one past the last line
};

std::vector<Span> find_blocks(const std::vector<Line>& lines);

}  // namespace rigcheck::ingest

// Lines that mean a tool crashed or reported an error, whichever tool printed them.

#include "rigcheck/ingest/parsers.h"

namespace rigcheck::ingest {

bool note_failure_line(const std::string& text, const std::string& test, const Provenance& at, PartialMachine& m) {
  const std::string_view t = strip_hash(text);
  Event::Kind kind;
  if (contains(t, "core dumped") || contains(t, "Segmentation fault") || contains(t, "terminate called") ||
      starts_with(t, "ASSERT in expression") || contains(t, "Bus error") || contains(t, "signal 11"))
    kind = Event::Kind::crash;
  else if (contains(t, "CUDA_ERROR_") || contains(t, "NVML_ERROR") || contains(t, "NCCL WARN") ||
           contains(t, "Test NCCL failure") || contains(t, "Test CUDA failure") || contains(t, "unhandled cuda error") ||
           contains(t, "unhandled system error") || contains(t, "ncclInternalError") || contains(t, "ncclSystemError") ||
           contains(t, "ncclUnhandledCudaError") || contains(t, "cudaErrorPeerAccess"))
    kind = Event::Kind::error;
  else
    return false;
  Event e;
  e.kind = kind;
  e.test = test;
  e.text = std::string(t.substr(0, 300));
  e.from = at;
  m.events.push_back(std::move(e));
  return true;
}

}  // namespace rigcheck::ingest

#include "nvbandwidth_names.h"

#include <map>

namespace rigcheck::ingest {

NvbMapping map_nvbandwidth_test(const std::string& key) {
  // The read variants of all_to_one/one_to_all, the bidirectional host<->all tests and
  // device_local_copy count bytes differently from rigcheck's tests (or measure another
  // direction), so they stay as nvbandwidth's own tests.
  static const std::map<std::string, NvbMapping> table = {
      {"host_to_device_memcpy_ce", {"host_to_device_ce"}},
      {"device_to_host_memcpy_ce", {"device_to_host_ce"}},
      {"host_to_device_bidirectional_memcpy_ce", {"host_to_device_bidir_ce"}},
      {"device_to_host_bidirectional_memcpy_ce", {"device_to_host_bidir_ce"}},
      {"all_to_host_memcpy_ce", {"all_to_host_ce"}},
      {"host_to_all_memcpy_ce", {"host_to_all_ce"}},
      {"device_to_device_memcpy_read_ce", {"device_to_device_read_ce", true, false, true}},
      {"device_to_device_memcpy_write_ce", {"device_to_device_write_ce", true}},
      {"device_to_device_bidirectional_memcpy_read_ce", {"device_to_device_bidir_ce", true, true, true}},
      {"device_to_device_bidirectional_memcpy_write_ce", {"device_to_device_bidir_ce", true, true, true}},
      {"all_to_one_write_ce", {"all_to_one_write_ce"}},
      {"one_to_all_write_ce", {"one_to_all_write_ce"}},
      {"host_to_device_memcpy_sm", {"host_to_device_sm"}},
      {"device_to_host_memcpy_sm", {"device_to_host_sm"}},
      {"device_to_device_memcpy_read_sm", {"device_to_device_read_sm", true, false, true}},
      {"device_to_device_memcpy_write_sm", {"device_to_device_write_sm", true}},
      {"device_to_device_bidirectional_memcpy_read_sm", {"device_to_device_bidir_sm", true, true, true}},
      {"device_to_device_bidirectional_memcpy_write_sm", {"device_to_device_bidir_sm", true, true, true}},
      {"host_device_latency_sm", {"host_latency_sm"}},
      {"device_to_device_latency_sm", {"device_to_device_latency_sm", true}},
  };
  auto it = table.find(key);
  if (it != table.end()) return it->second;
  NvbMapping m;
  m.pair = key.rfind("device_to_device", 0) == 0;
  return m;
}

std::string nvbandwidth_method(const std::string& key) {
  auto ends = [&](const char* s) {
    std::string x(s);
    return key.size() >= x.size() && key.compare(key.size() - x.size(), x.size(), x) == 0;
  };
  if (ends("_ce")) return "ce";
  if (ends("_sm")) return "sm";
  if (key == "device_local_copy") return "ce";
  return "";
}

}  // namespace rigcheck::ingest

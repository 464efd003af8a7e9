#pragma once
// What leaves the machine in a report. Reports are attached to public forum threads, so values
// that identify a machine, its network or its owner are replaced by placeholders unless the user
// asks otherwise (--no-redact): GPU and other UUIDs, IP addresses, MAC addresses and InfiniBand
// GUIDs, home directories and user names, the directories of paths on the command line, and the
// host hash and NIC GUIDs in NCCL's topology dump.

#include <map>
#include <string>
#include <vector>

namespace rigcheck::report {

// On by default. The CLI turns it off once, before a run, for --no-redact.
void set_redaction(bool on);
bool redaction_enabled();

// Free text with identifying values replaced: "GPU-<uuid>", "<uuid>", "<address>" (IPv4/IPv6,
// with any port), "<guid>" (MAC, GUID), "/home/<user>", "~" for $HOME.
std::string redact_text(const std::string& text);

// The command line: argv[0] by its file name, every absolute path by ".../" and its file name.
std::vector<std::string> redact_command_line(const std::vector<std::string>& argv);

// NCCL_*/CUDA_* variables: those that name the network (NCCL_COMM_ID, NCCL_SOCKET_IFNAME,
// NCCL_IB_HCA, NCCL_HOSTID) keep only their presence, the others are redact_text'ed.
std::map<std::string, std::string> redact_environment(const std::map<std::string, std::string>& env);

// NCCL's topology XML with host_hash, every *guid attribute and the names of network devices
// replaced, and redact_text applied to the rest.
std::string redact_nccl_topology(const std::string& xml);

}  // namespace rigcheck::report

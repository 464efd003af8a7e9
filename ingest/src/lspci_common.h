#pragma once
// Shared by the lspci readers (links, details): a function's header line.

#include <string>
#include <string_view>

namespace rigcheck::ingest {

// "62:00.0 VGA compatible controller: …" or "0000:62:00.0 3D controller: …" (unindented): the
// function's BDF ("0000:62:00.0"), or "" for any other line.
std::string lspci_header_bdf(std::string_view line);

}  // namespace rigcheck::ingest

#pragma once
// An `lspci -xxxx` dump checked line by line before libpci reads it. libpci 3.9's dump reader
// takes any offset it can sscanf (negative, or far past the 4096 bytes it allocates) and writes
// there, so a malformed dump corrupts the heap. libpci is handed only the canonical form this
// returns: one header per function and data lines whose offsets and bytes are all in range.

#include <string>

namespace rigcheck::topology::detail {

// Accepts device headers ("0000:01:00.0 VGA compatible controller: ..."; the domain is optional),
// config-space lines ("0a0: 00 11 ..." with 1 to 16 bytes, offset + count <= 4096), blank lines
// and the indented lines of `lspci -v`. Throws InputError naming `path` and the line otherwise.
std::string canonical_pci_dump(const std::string& text, const std::string& path);

}  // namespace rigcheck::topology::detail

#pragma once
// JSON Patch (RFC 6902) with a bound on what it may build. A `copy` op doubles the document when
// it copies the root, so sixteen of them turn a 2 KB rig into gigabytes; every op is checked
// against the size it would produce before it is applied.

#include <cstddef>

#include <nlohmann/json.hpp>

namespace rigcheck::topology::detail {

// Far above any rig (the seed rigs have 53 to 184 values; one of kMaxGpus GPUs, about ten values
// each, some 10,000) and far below a problem: at 1,000,000 the copy bomb of
// tests/fixtures/bad/bb-rig-patch-copy-bomb-16.rig.json still built ~500,000 values (~5 s per
// variant under ASan, a timeout of fuzz_rig) before it was refused.
inline constexpr size_t kMaxPatchedValues = 100'000;
inline constexpr size_t kMaxPatchOps = 10'000;

// The number of JSON values in j (objects, arrays and scalars), counting stops past `limit`.
// Iterative: a deep document must not overflow the stack.
size_t count_values(const nlohmann::json& j, size_t limit);

// doc patched by `patch`. Throws InputError when the result would exceed kMaxPatchedValues or the
// patch is not an array of at most kMaxPatchOps ops; nlohmann's json::exception for a malformed op.
nlohmann::json apply_bounded_patch(const nlohmann::json& doc, const nlohmann::json& patch);

}  // namespace rigcheck::topology::detail

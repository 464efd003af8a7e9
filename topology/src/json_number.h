#pragma once
// Numbers read from a JSON file the user gave. nlohmann's get<int>() casts whatever is there: 1e308
// becomes undefined behaviour, 70000 a wrapped uint16_t, -1 a huge uint64_t. These accept only a
// number that fits the type (an integer for integer types, a finite one for double), optionally
// within [lo, hi], and otherwise throw InputError naming the field.

#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <string>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "rigcheck/topology/errors.h"

namespace rigcheck::topology::detail {

template <typename T>
std::string range_text(T lo, T hi) {
  if constexpr (std::is_floating_point_v<T>) {
    std::ostringstream s;
    s << lo << " and " << hi;
    return s.str();
  } else {
    return std::to_string(lo) + " and " + std::to_string(hi);
  }
}

template <typename T>
T number_in(const nlohmann::json& v, const std::string& name, T lo, T hi) {
  const auto bad = [&] {
    std::string kind = std::is_floating_point_v<T> ? "a number" : "an integer";
    return InputError("\"" + name + "\" must be " + kind + " between " + range_text(lo, hi) + ", not " + v.dump());
  };
  if constexpr (std::is_floating_point_v<T>) {
    if (!v.is_number()) throw bad();
    const double d = v.get<double>();
    if (!std::isfinite(d) || d < lo || d > hi) throw bad();
    return static_cast<T>(d);
  } else {
    if (v.is_number_unsigned()) {
      const uint64_t u = v.get<uint64_t>();
      if (hi < 0 || u > static_cast<uint64_t>(hi) || (lo > 0 && u < static_cast<uint64_t>(lo))) throw bad();
      return static_cast<T>(u);
    }
    if (v.is_number_integer()) {
      const int64_t i = v.get<int64_t>();
      if (i < 0 && lo >= 0) throw bad();
      if (i >= 0 && static_cast<uint64_t>(i) > static_cast<uint64_t>(hi)) throw bad();
      if (i < 0 && i < static_cast<int64_t>(lo)) throw bad();
      if (i >= 0 && lo > 0 && static_cast<uint64_t>(i) < static_cast<uint64_t>(lo)) throw bad();
      return static_cast<T>(i);
    }
    throw bad();
  }
}

// The value v, any number T can hold.
template <typename T>
T as_number(const nlohmann::json& v, const std::string& name) {
  if constexpr (std::is_floating_point_v<T>)
    return number_in<T>(v, name, std::numeric_limits<T>::lowest(), std::numeric_limits<T>::max());
  else
    return number_in<T>(v, name, std::numeric_limits<T>::min(), std::numeric_limits<T>::max());
}

// obj[key], which must be present.
template <typename T>
T number(const nlohmann::json& obj, const char* key) {
  return as_number<T>(obj.at(key), key);
}

// obj[key] within [lo, hi], or fallback when absent.
template <typename T>
T number_or(const nlohmann::json& obj, const char* key, T fallback, T lo, T hi) {
  if (!obj.contains(key)) return fallback;
  return number_in<T>(obj.at(key), key, lo, hi);
}

}  // namespace rigcheck::topology::detail

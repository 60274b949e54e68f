// A request's query, parsed against the parameters its endpoint accepts. An endpoint's
// contract is that every parameter is validated: a name it does not know, a value that is not
// a number, or one out of bounds is a 400 whose reason names the parameter and its bounds, so
// a client author sees at once which knob was wrong instead of getting a silently ignored typo.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace loadlab::server {

// Why a query was refused: a sentence for the JSON reason of a 400.
struct ParamError {
  std::string message;
};

template <typename T>
using ParamResult = std::variant<T, ParamError>;

class QueryParams {
 public:
  // `query` is the part after '?' as sent (application/x-www-form-urlencoded: '&' between
  // pairs, '+' for a space, %XX escapes). Refuses a name not in `accepted`, a name given twice
  // and a malformed escape. An empty query, or empty pairs ("a=1&&b=2"), are no parameters.
  static ParamResult<QueryParams> parse(std::string_view query,
                                        std::initializer_list<std::string_view> accepted);

  // For an endpoint that echoes its query (/anything): every name is accepted, repeats kept in
  // order; only a malformed escape is refused.
  static ParamResult<QueryParams> parse_any(std::string_view query);

  // The decoded pairs, in the order sent.
  const std::vector<std::pair<std::string, std::string>>& pairs() const { return pairs_; }
  bool empty() const { return pairs_.empty(); }
  bool has(std::string_view name) const { return find(name) != nullptr; }
  // The decoded value ("" for a bare name such as "?chunked"), or nullopt when absent.
  std::optional<std::string_view> get(std::string_view name) const;

  // The whole number `name` in [min, max], or `fallback` when it is absent.
  ParamResult<std::uint64_t> whole_number(std::string_view name, std::uint64_t min,
                                          std::uint64_t max, std::uint64_t fallback) const;
  // "1"/"true" or "0"/"false"; a bare name ("?chunked") is true; `fallback` when absent.
  ParamResult<bool> flag(std::string_view name, bool fallback) const;

 private:
  const std::string* find(std::string_view name) const;

  std::vector<std::pair<std::string, std::string>> pairs_;  // decoded name, decoded value
};

}  // namespace loadlab::server

#include "server/query_params.h"

#include <algorithm>

#include "common/decimal.h"

namespace loadlab::server {
namespace {

// Values are quoted back in errors; a hostile query must not make the reason huge.
constexpr std::size_t kQuotedMax = 64;

std::string quoted(std::string_view text) {
  return "'" + std::string(text.substr(0, kQuotedMax)) + (text.size() > kQuotedMax ? "...'" : "'");
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%') {
      if (i + 2 >= text.size()) return std::nullopt;  // "%" or "%A" at the end
      const int high = hex_digit(text[i + 1]);
      const int low = hex_digit(text[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      out += static_cast<char>(high * 16 + low);
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string accepted_list(std::initializer_list<std::string_view> accepted) {
  if (accepted.size() == 0) return "this endpoint takes no query parameters";
  std::string list = "accepted: ";
  for (const auto name : accepted) {
    if (list.size() > 10) list += ", ";
    list += name;
  }
  return list;
}

}  // namespace

ParamResult<QueryParams> QueryParams::parse(std::string_view query,
                                            std::initializer_list<std::string_view> accepted) {
  auto parsed = parse_any(query);
  if (std::holds_alternative<ParamError>(parsed)) return parsed;
  const auto& pairs = std::get<QueryParams>(parsed).pairs_;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    const std::string& name = pairs[i].first;
    if (std::find(accepted.begin(), accepted.end(), name) == accepted.end()) {
      return ParamError{"unknown query parameter " + quoted(name) + " (" + accepted_list(accepted) +
                        ")"};
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (pairs[j].first == name)
        return ParamError{"query parameter " + quoted(name) + " given twice"};
    }
  }
  return parsed;
}

ParamResult<QueryParams> QueryParams::parse_any(std::string_view query) {
  QueryParams params;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    auto name = decode(pair.substr(0, eq));
    auto value = decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
    if (!name || !value) {
      return ParamError{"malformed percent-escape in query parameter " + quoted(pair)};
    }
    params.pairs_.emplace_back(std::move(*name), std::move(*value));
  }
  return params;
}

const std::string* QueryParams::find(std::string_view name) const {
  for (const auto& [key, value] : pairs_) {
    if (key == name) return &value;
  }
  return nullptr;
}

std::optional<std::string_view> QueryParams::get(std::string_view name) const {
  const std::string* value = find(name);
  if (value == nullptr) return std::nullopt;
  return std::string_view(*value);
}

ParamResult<std::uint64_t> QueryParams::whole_number(std::string_view name, std::uint64_t min,
                                                     std::uint64_t max,
                                                     std::uint64_t fallback) const {
  const std::string* text = find(name);
  if (text == nullptr) return fallback;
  const auto number = parse_decimal_u64(*text);
  if (!number || *number < min || *number > max) {
    return ParamError{std::string(name) + " must be a whole number from " + std::to_string(min) +
                      " to " + std::to_string(max) + ", got " + quoted(*text)};
  }
  return *number;
}

ParamResult<bool> QueryParams::flag(std::string_view name, bool fallback) const {
  const std::string* text = find(name);
  if (text == nullptr) return fallback;
  if (text->empty() || *text == "1" || *text == "true") return true;
  if (*text == "0" || *text == "false") return false;
  return ParamError{std::string(name) + " must be 1, true, 0 or false, got " + quoted(*text)};
}

}  // namespace loadlab::server

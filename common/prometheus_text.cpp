#include "common/prometheus_text.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "common/printable.h"

namespace loadlab {
namespace {

// What an error message quotes of the input: printable and short (a line may be 64 KiB of
// anything, and the message goes into reports).
std::string quoted(std::string_view text) { return printable_excerpt(text, 80); }

bool is_blank(char c) { return c == ' ' || c == '\t'; }
bool name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}
bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9'); }

// A cursor over one line; each read either advances over what it accepted or fails.
struct Line {
  std::string_view text;
  std::size_t pos = 0;

  bool done() const { return pos >= text.size(); }
  char peek() const { return done() ? '\0' : text[pos]; }
  std::size_t skip_blanks() {
    const std::size_t start = pos;
    while (!done() && is_blank(text[pos])) ++pos;
    return pos - start;
  }
  // A metric name ([a-zA-Z_:][a-zA-Z0-9_:]*) or, with colons=false, a label name.
  std::string_view name(bool colons) {
    const std::size_t start = pos;
    auto first = [colons](char c) { return name_start(c) && (colons || c != ':'); };
    auto rest = [colons](char c) { return name_char(c) && (colons || c != ':'); };
    if (done() || !first(text[pos])) return {};
    ++pos;
    while (!done() && rest(text[pos])) ++pos;
    return text.substr(start, pos - start);
  }
  std::string_view token() {
    const std::size_t start = pos;
    while (!done() && !is_blank(text[pos])) ++pos;
    return text.substr(start, pos - start);
  }
};

// A label value: `"` already read; \\, \" and \n are the only escapes (exposition format).
bool label_value(Line& line, std::string& out, std::string& error) {
  while (!line.done()) {
    const char c = line.text[line.pos++];
    if (c == '"') return true;
    if (c != '\\') {
      out += c;
      continue;
    }
    if (line.done()) break;
    const char escaped = line.text[line.pos++];
    if (escaped == '\\' || escaped == '"') {
      out += escaped;
    } else if (escaped == 'n') {
      out += '\n';
    } else {
      error = "unknown escape " + quoted(std::string_view(&line.text[line.pos - 2], 2)) +
              " in a label value";
      return false;
    }
  }
  error = "unterminated label value";
  return false;
}

// HELP text: \\ and \n are escapes; any other backslash stays as written.
std::string unescape_help(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size() && (text[i + 1] == '\\' || text[i + 1] == 'n')) {
      out += text[i + 1] == 'n' ? '\n' : '\\';
      ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::optional<PromType> type_from(std::string_view text) {
  if (text == "counter") return PromType::kCounter;
  if (text == "gauge") return PromType::kGauge;
  if (text == "histogram") return PromType::kHistogram;
  if (text == "summary") return PromType::kSummary;
  if (text == "untyped") return PromType::kUntyped;
  return std::nullopt;
}

// "# HELP name text", "# TYPE name type"; other comments say nothing. Returns an error or "".
std::string comment_line(Line line, PromText& out) {
  line.pos = 1;
  line.skip_blanks();
  const std::string_view keyword = line.token();
  if (keyword != "HELP" && keyword != "TYPE") return "";
  if (line.skip_blanks() == 0) return "";  // "# HELP" alone: a comment
  const std::string_view name = line.name(true);
  if (name.empty()) return "bad metric name after # " + std::string(keyword);
  if (!line.done() && !is_blank(line.peek()))
    return "bad metric name after # " + std::string(keyword);
  line.skip_blanks();
  if (out.families.size() >= kPromMaxFamilies && !out.families.contains(name))
    return "more than " + std::to_string(kPromMaxFamilies) + " metric families";
  PromFamily& family = out.families[std::string(name)];
  if (keyword == "HELP") {
    family.help = unescape_help(line.text.substr(line.pos));
    return "";
  }
  const std::string_view type_text = line.token();
  line.skip_blanks();
  const auto type = type_from(type_text);
  if (!type || !line.done()) return "bad type '" + quoted(type_text) + "' for " + quoted(name);
  family.type = *type;
  return "";
}

std::string sample_line(Line line, PromText& out) {
  PromSample sample;
  sample.name = std::string(line.name(true));
  if (sample.name.empty()) return "expected a metric name";
  std::size_t blanks = line.skip_blanks();
  if (line.peek() == '{') {
    ++line.pos;
    for (;;) {
      line.skip_blanks();
      if (line.peek() == '}') {
        ++line.pos;
        break;
      }
      const std::string_view label = line.name(false);
      if (label.empty()) return "expected a label name or '}'";
      if (sample.labels.size() >= kPromMaxLabels)
        return "more than " + std::to_string(kPromMaxLabels) + " labels";
      line.skip_blanks();
      if (line.peek() != '=') return "expected '=' after label " + quoted(label);
      ++line.pos;
      line.skip_blanks();
      if (line.peek() != '"') return "expected '\"' to open the value of label " + quoted(label);
      ++line.pos;
      std::string value, error;
      if (!label_value(line, value, error)) return error;
      if (sample.label(label)) return "label " + quoted(label) + " given twice";
      sample.labels.emplace_back(label, std::move(value));
      line.skip_blanks();
      if (line.peek() == ',') {
        ++line.pos;
      } else if (line.peek() != '}') {
        return "expected ',' or '}' after a label";
      }
    }
    blanks = line.skip_blanks();
  }
  if (blanks == 0 && !line.done()) return "expected a blank before the value";
  const std::string_view value_text = line.token();
  if (value_text.empty()) return "a sample without a value";
  const auto value = parse_prom_value(value_text);
  if (!value) return "bad value '" + quoted(value_text) + "'";
  sample.value = *value;
  line.skip_blanks();
  if (!line.done()) {
    const std::string_view stamp = line.token();
    std::int64_t ms = 0;
    const auto [end, ec] = std::from_chars(stamp.data(), stamp.data() + stamp.size(), ms);
    if (ec != std::errc() || end != stamp.data() + stamp.size())
      return "bad timestamp '" + quoted(stamp) + "'";
    sample.timestamp_ms = ms;
    line.skip_blanks();
    if (!line.done()) return "unexpected text after the timestamp";
  }
  if (out.type_of(sample) == PromType::kHistogram && sample.name.ends_with("_bucket")) {
    const auto le = sample.label("le");
    if (!le) return "histogram bucket " + quoted(sample.name) + " without an le label";
    if (!parse_prom_value(*le)) return "bad le '" + quoted(*le) + "'";
  }
  if (out.samples.size() >= kPromMaxSamples) return "more than the samples a scrape may hold";
  out.samples.push_back(std::move(sample));
  return "";
}

std::string labels_key(const std::vector<std::pair<std::string, std::string>>& labels) {
  std::string key;
  for (const auto& [name, value] : labels) key.append(name).append("=").append(value).append("\n");
  return key;
}

bool has_all(const PromSample& s, const std::vector<std::pair<std::string, std::string>>& match) {
  return std::all_of(match.begin(), match.end(), [&s](const auto& m) {
    const auto value = s.label(m.first);
    return value && *value == m.second;
  });
}

bool has_any(const PromSample& s, const std::vector<std::pair<std::string, std::string>>& match) {
  return std::any_of(match.begin(), match.end(), [&s](const auto& m) {
    const auto value = s.label(m.first);
    return value && *value == m.second;
  });
}

}  // namespace

const char* prom_type_name(PromType type) {
  switch (type) {
    case PromType::kCounter:
      return "counter";
    case PromType::kGauge:
      return "gauge";
    case PromType::kHistogram:
      return "histogram";
    case PromType::kSummary:
      return "summary";
    case PromType::kUntyped:
      break;
  }
  return "untyped";
}

std::optional<std::string_view> PromSample::label(std::string_view wanted) const {
  for (const auto& [label_name, label_value] : labels) {
    if (label_name == wanted) return std::string_view(label_value);
  }
  return std::nullopt;
}

std::optional<double> parse_prom_value(std::string_view text) {
  if (text == "+Inf" || text == "Inf") return HUGE_VAL;
  if (text == "-Inf") return -HUGE_VAL;
  if (text == "NaN") return std::nan("");
  if (text.starts_with('+')) text.remove_prefix(1);
  if (text.empty() || !((text[0] >= '0' && text[0] <= '9') || text[0] == '.' || text[0] == '-'))
    return std::nullopt;  // from_chars would take "inf", "nan" spelt any way
  if (text[0] == '-' &&
      (text.size() < 2 || !((text[1] >= '0' && text[1] <= '9') || text[1] == '.')))
    return std::nullopt;
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string_view PromText::family_of(const PromSample& sample) const {
  const std::string_view name = sample.name;
  if (families.contains(name)) return name;
  for (const std::string_view suffix : {"_bucket", "_sum", "_count"}) {
    if (!name.ends_with(suffix)) continue;
    const std::string_view base = name.substr(0, name.size() - suffix.size());
    const auto it = families.find(base);
    if (it == families.end()) continue;
    if (it->second.type == PromType::kHistogram ||
        (it->second.type == PromType::kSummary && suffix != "_bucket"))
      return base;
  }
  return name;
}

PromType PromText::type_of(const PromSample& sample) const {
  const auto it = families.find(family_of(sample));
  return it == families.end() ? PromType::kUntyped : it->second.type;
}

std::optional<double> PromText::sum(
    std::string_view name, const std::vector<std::pair<std::string, std::string>>& match,
    const std::vector<std::pair<std::string, std::string>>& exclude) const {
  std::optional<double> total;
  for (const PromSample& s : samples) {
    if (s.name != name || !has_all(s, match) || has_any(s, exclude)) continue;
    total = total.value_or(0) + s.value;
  }
  return total;
}

std::vector<PromHistogram> PromText::histograms(std::string_view name) const {
  std::vector<PromHistogram> out;
  std::map<std::string, std::size_t> index;
  const std::string bucket = std::string(name) + "_bucket";
  const std::string sum_name = std::string(name) + "_sum";
  const std::string count_name = std::string(name) + "_count";
  for (const PromSample& s : samples) {
    if (s.name != bucket && s.name != sum_name && s.name != count_name) continue;
    std::vector<std::pair<std::string, std::string>> labels;
    for (const auto& label : s.labels)
      if (label.first != "le") labels.push_back(label);
    const auto [it, added] = index.try_emplace(labels_key(labels), out.size());
    if (added) out.push_back({labels, {}, 0, 0});
    PromHistogram& h = out[it->second];
    if (s.name == bucket) {
      const auto le = s.label("le");
      if (const auto bound = le ? parse_prom_value(*le) : std::nullopt)
        h.buckets.emplace_back(*bound, s.value);
    } else if (s.name == sum_name) {
      h.sum = s.value;
    } else {
      h.count = s.value;
    }
  }
  for (PromHistogram& h : out) std::sort(h.buckets.begin(), h.buckets.end());
  return out;
}

PromText parse_prometheus_text(std::string_view text) {
  PromText out;
  std::size_t number = 0;
  while (!text.empty()) {
    ++number;
    const std::size_t newline = text.find('\n');
    std::string_view line_text = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    if (line_text.ends_with('\r')) line_text.remove_suffix(1);
    std::string error;
    if (line_text.size() > kPromMaxLineBytes) {
      error = "line longer than " + std::to_string(kPromMaxLineBytes) + " bytes";
    } else {
      Line line{line_text};
      line.skip_blanks();
      if (line.done()) continue;
      line.text = line.text.substr(line.pos);
      line.pos = 0;
      error = line.peek() == '#' ? comment_line(line, out) : sample_line(line, out);
    }
    if (!error.empty()) {
      out.error = "line " + std::to_string(number) + ": " + error;
      out.error_line = number;
      out.samples.clear();
      return out;
    }
  }
  return out;
}

}  // namespace loadlab

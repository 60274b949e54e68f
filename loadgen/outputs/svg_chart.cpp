#include "loadgen/outputs/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace loadlab::loadgen {
namespace {

constexpr int kLeft = 64, kRight = 16, kTop = 46, kBottom = 46;

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", value);
  return text;
}

std::string tick_label(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

}  // namespace

std::string escape_xml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::vector<double> nice_ticks(double low, double high, int about) {
  if (!(high > low)) high = low + 1;
  const double raw = (high - low) / std::max(1, about);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude;
  for (double factor : {1.0, 2.0, 5.0, 10.0}) {
    step = factor * magnitude;
    if (step >= raw) break;
  }
  std::vector<double> ticks;
  for (double v = std::ceil(low / step) * step; v <= high + step * 1e-9; v += step)
    ticks.push_back(v);
  return ticks;
}

std::string LineChart::svg(int width, int height) const {
  double x_low = x_low_, x_high = x_high_, y_high = 0;
  bool any = false;
  for (const auto& series : series_) {
    for (const auto& [x, y] : series.points) {
      if (!x_fixed_) {
        x_low = any ? std::min(x_low, x) : x;
        x_high = any ? std::max(x_high, x) : x;
      }
      y_high = std::max(y_high, y);
      any = true;
    }
  }
  if (!(x_high > x_low)) x_high = x_low + 1;
  const std::vector<double> y_ticks = nice_ticks(0, y_high > 0 ? y_high : 1);
  y_high = std::max(y_high, y_ticks.back());
  const double plot_w = width - kLeft - kRight, plot_h = height - kTop - kBottom;
  auto px = [&](double x) { return kLeft + (x - x_low) / (x_high - x_low) * plot_w; };
  auto py = [&](double y) { return kTop + plot_h - y / y_high * plot_h; };

  std::string out = "<svg class=\"chart\" viewBox=\"0 0 " + std::to_string(width) + " " +
                    std::to_string(height) + "\" width=\"" + std::to_string(width) +
                    "\" height=\"" + std::to_string(height) + "\" role=\"img\" aria-label=\"" +
                    escape_xml(title_) + "\">\n";
  out += "<text x=\"" + std::to_string(kLeft) + "\" y=\"20\" class=\"title\">" +
         escape_xml(title_) + "</text>\n";
  // Grid and y ticks.
  for (double tick : y_ticks) {
    out += "<line class=\"grid\" x1=\"" + number(kLeft) + "\" x2=\"" + number(kLeft + plot_w) +
           "\" y1=\"" + number(py(tick)) + "\" y2=\"" + number(py(tick)) + "\"/>";
    out += "<text class=\"tick\" text-anchor=\"end\" x=\"" + number(kLeft - 6) + "\" y=\"" +
           number(py(tick) + 4) + "\">" + tick_label(tick) + "</text>\n";
  }
  std::vector<Tick> x_ticks = x_ticks_;
  if (x_ticks.empty()) {
    for (double tick : nice_ticks(x_low, x_high, 8)) x_ticks.push_back({tick, tick_label(tick)});
  }
  for (const auto& tick : x_ticks) {
    if (tick.value < x_low || tick.value > x_high) continue;
    out += "<line class=\"grid\" x1=\"" + number(px(tick.value)) + "\" x2=\"" +
           number(px(tick.value)) + "\" y1=\"" + number(kTop) + "\" y2=\"" + number(kTop + plot_h) +
           "\"/>";
    out += "<text class=\"tick\" text-anchor=\"middle\" x=\"" + number(px(tick.value)) + "\" y=\"" +
           number(kTop + plot_h + 16) + "\">" + escape_xml(tick.label) + "</text>\n";
  }
  out += "<rect class=\"frame\" x=\"" + number(kLeft) + "\" y=\"" + number(kTop) + "\" width=\"" +
         number(plot_w) + "\" height=\"" + number(plot_h) + "\"/>\n";
  out += "<text class=\"axis\" text-anchor=\"middle\" x=\"" + number(kLeft + plot_w / 2) +
         "\" y=\"" + number(height - 8) + "\">" + escape_xml(x_label_) + "</text>\n";
  out += "<text class=\"axis\" text-anchor=\"middle\" transform=\"translate(14 " +
         number(kTop + plot_h / 2) + ") rotate(-90)\">" + escape_xml(y_label_) + "</text>\n";

  // Bars are one slot of the x step wide, centred on their x.
  for (const auto& series : series_) {
    if (series.points.empty()) continue;
    if (series.bars) {
      const double slot = series.points.size() > 1
                              ? plot_w / static_cast<double>(series.points.size())
                              : plot_w / 10;
      for (const auto& [x, y] : series.points) {
        if (y <= 0) continue;
        out += "<rect fill=\"" + series.color + "\" opacity=\"0.75\" x=\"" +
               number(px(x) - slot * 0.4) + "\" y=\"" + number(py(y)) + "\" width=\"" +
               number(slot * 0.8) + "\" height=\"" + number(kTop + plot_h - py(y)) + "\"/>";
      }
      out += "\n";
      continue;
    }
    if (series.dots) {
      for (const auto& [x, y] : series.points) {
        out += "<circle fill=\"" + series.color + "\" r=\"4.5\" cx=\"" + number(px(x)) +
               "\" cy=\"" + number(py(y)) + "\"/>";
      }
      out += "\n";
      continue;
    }
    out += "<polyline fill=\"none\" stroke-width=\"2\" stroke=\"" + series.color + "\" points=\"";
    for (const auto& [x, y] : series.points) out += number(px(x)) + "," + number(py(y)) + " ";
    out += "\"/>\n";
  }
  // Legend: one row between the title and the plot, left to right.
  double legend_x = kLeft;
  for (const auto& series : series_) {
    out += "<rect fill=\"" + series.color + "\" x=\"" + number(legend_x) + "\" y=\"" +
           number(kTop - 17) + "\" width=\"12\" height=\"10\"/>";
    out += "<text class=\"legend\" x=\"" + number(legend_x + 16) + "\" y=\"" + number(kTop - 8) +
           "\">" + escape_xml(series.name) + "</text>\n";
    legend_x += 16 + 6.8 * static_cast<double>(series.name.size()) + 18;
  }
  out += "</svg>\n";
  return out;
}

std::string bar_chart_svg(const std::string& title, const std::vector<Bar>& bars, int width) {
  constexpr int kRow = 24, kValue = 120;
  const int height = kTop + kRow * static_cast<int>(std::max<std::size_t>(1, bars.size())) + 10;
  double peak = 0;
  std::size_t longest = 0;
  for (const auto& bar : bars) {
    peak = std::max(peak, bar.value);
    longest = std::max(longest, bar.label.size());
  }
  // Room for the longest label at the tick font's ~6.5 px per character.
  const double label_width =
      std::clamp(6.5 * static_cast<double>(longest) + 16, 120.0, width / 2.0);
  if (peak <= 0) peak = 1;
  const double plot_w = width - label_width - kValue;
  std::string out = "<svg class=\"chart\" viewBox=\"0 0 " + std::to_string(width) + " " +
                    std::to_string(height) + "\" width=\"" + std::to_string(width) +
                    "\" height=\"" + std::to_string(height) + "\" role=\"img\" aria-label=\"" +
                    escape_xml(title) + "\">\n";
  out += "<text x=\"8\" y=\"20\" class=\"title\">" + escape_xml(title) + "</text>\n";
  int y = kTop;
  for (const auto& bar : bars) {
    const double w = std::max(1.0, bar.value / peak * plot_w);
    out += "<text class=\"tick\" text-anchor=\"end\" x=\"" + number(label_width - 8) + "\" y=\"" +
           number(y + 16) + "\">" + escape_xml(bar.label) + "</text>";
    out += "<rect fill=\"" + bar.color + "\" x=\"" + number(label_width) + "\" y=\"" +
           number(y + 4) + "\" width=\"" + number(w) + "\" height=\"" + number(kRow - 8) + "\"/>";
    out += "<text class=\"tick\" x=\"" + number(label_width + w + 6) + "\" y=\"" + number(y + 16) +
           "\">" + escape_xml(bar.value_label) + "</text>\n";
    y += kRow;
  }
  out += "</svg>\n";
  return out;
}

}  // namespace loadlab::loadgen

// Small inline SVG charts for the HTML report (HTML5 needs no xmlns): line charts with axes,
// ticks and a legend, and horizontal bar charts. Plain strings out, no scripts, no external
// resources, so a report opens anywhere, offline, and prints.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace loadlab::loadgen {

// The charts' colours, one palette for every report (run, merge, capacity).
inline constexpr const char* kBlue = "#1f77b4";
inline constexpr const char* kOrange = "#ff7f0e";
inline constexpr const char* kGreen = "#2ca02c";
inline constexpr const char* kRed = "#d62728";
inline constexpr const char* kPurple = "#9467bd";
inline constexpr const char* kGrey = "#7f7f7f";

struct ChartSeries {
  std::string name;
  std::string color;
  std::vector<std::pair<double, double>> points;  // x, y in data units
  bool bars = false;                              // drawn as bars from 0 instead of a line
  bool dots = false;                              // drawn as dots, unjoined, instead of a line
};

struct Tick {
  double value;
  std::string label;
};

class LineChart {
 public:
  LineChart(std::string title, std::string x_label, std::string y_label)
      : title_(std::move(title)), x_label_(std::move(x_label)), y_label_(std::move(y_label)) {}

  void add(ChartSeries series) { series_.push_back(std::move(series)); }
  // Fixed x ticks (the percentile axis); otherwise evenly spaced round numbers.
  void set_x_ticks(std::vector<Tick> ticks) { x_ticks_ = std::move(ticks); }
  void set_x_range(double low, double high) { x_low_ = low, x_high_ = high, x_fixed_ = true; }

  std::string svg(int width = 720, int height = 300) const;

 private:
  std::string title_, x_label_, y_label_;
  std::vector<ChartSeries> series_;
  std::vector<Tick> x_ticks_;
  double x_low_ = 0, x_high_ = 1;
  bool x_fixed_ = false;
};

struct Bar {
  std::string label;
  double value;
  std::string color;
  std::string value_label;  // shown at the end of the bar
};

std::string bar_chart_svg(const std::string& title, const std::vector<Bar>& bars, int width = 720);

// Round tick values covering [low, high]: 1, 2 or 5 times a power of ten apart.
std::vector<double> nice_ticks(double low, double high, int about = 5);
std::string escape_xml(std::string_view text);

}  // namespace loadlab::loadgen

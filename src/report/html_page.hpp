#pragma once
// One self-contained HTML page: its sections' markup, its charts' data as one JSON document
// in the page, and the inlined style and scripts (uPlot and src/report/assets/report.js, put
// in at build time: cmake/html_assets.cmake). A Content-Security-Policy in the page forbids
// every fetch, so the page works offline and cannot call out even if a value slipped in.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace barrage::report {

/// The kinds of chart report.js draws.
enum class chart_kind {
  time,       // x: seconds since the start
  spectrum,   // x: 1 / (1 - q) on a log axis, labelled as percentiles
  histogram,  // x: latency in ms on a log axis, bars
};

/// One line (or the bars) of a chart.
struct chart_series {
  std::string label;
  nlohmann::json values;  // one number (or null: a gap) per x
  bool right_axis = false;
};

struct chart {
  chart_kind kind = chart_kind::time;
  std::string title;
  std::string y_label;        // "ms", "requests/s", ...
  std::string right_y_label;  // for the series with right_axis
  nlohmann::json x;           // numbers
  std::vector<chart_series> series;
  std::string note;  // under the chart, plain text
};

class html_page {
 public:
  /// `title`: plain text (escaped here).
  explicit html_page(std::string title);

  /// Appends markup (already escaped by the caller).
  void add(std::string_view html) { body_ += html; }
  /// Appends a chart's placeholder and note, and its data for report.js.
  void add(const chart& c);

  /// The whole document.
  std::string finish() const;

 private:
  std::string title_;
  std::string body_;
  nlohmann::json charts_ = nlohmann::json::array();
};

}  // namespace barrage::report

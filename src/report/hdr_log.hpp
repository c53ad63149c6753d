#pragma once
// hdr_log: a run's latency as an HdrHistogram interval log, in the format of HdrHistogram's
// HistogramLogWriter (log format 1.3), so that HdrHistogram's tools (HistogramLogProcessor,
// HistogramLogAnalyzer, hdr-histogram-js's HistogramLogReader, ...) read, merge and plot it:
//
//   #[Histogram log format version 1.3]
//   #[StartTime: 1796578800.123 (seconds since epoch), Sun Dec 06 17:40:00 UTC 2026]
//   #[BaseTime: 1796578800.123 (seconds since epoch)]
//   #[barrage: ...]                                   one comment saying what the values are
//   "StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"
//   0.000,1.000,12.345,HISTFAAAA...                    one line per interval
//   Tag=uncorrected,0.000,1.000,3.210,HISTFAAAA...
//
// Interval start: seconds since BaseTime (the run's counted start); length in seconds;
// Interval_Max: the interval's exact largest value in milliseconds (values are nanoseconds:
// a max value unit ratio of 10^6); then hdr_compressed_base64 of the interval's histogram.
#include <chrono>
#include <ostream>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "loadgen/histogram.hpp"
#include "loadgen/timeline.hpp"

namespace barrage::report {

/// The tag of the open model's uncorrected intervals (latency from the actual send). The
/// corrected latency (from the intended send, what barrage reports) is untagged, the stream
/// HdrHistogram's tools read by default.
inline constexpr std::string_view hdr_uncorrected_tag = "uncorrected";

/// --hdr-log's FILE: any name but "" and "-" (stdout carries the text report), without NUL.
result<std::string, std::string> parse_hdr_log_path(std::string_view text);

/// The header lines, StartTime and BaseTime both `start` (to the millisecond, as the format has it).
std::string hdr_log_header(std::chrono::system_clock::time_point start);
/// One interval line; `tag` empty: untagged. A tag may not hold ',', ' ' or a line break.
std::string hdr_log_interval(std::string_view tag, double start_s, double length_s, const histogram& h);

/// Writes a run's seconds to `out` as they end, one second per interval (the run's timeline
/// seconds; the last may be partly empty), each line flushed, so that the log is complete up to
/// the last second written when the run is interrupted. The header goes first, with the
/// run's start of the first second added.
class hdr_log_writer {
 public:
  explicit hdr_log_writer(std::ostream& out) : out_(out) {}
  /// The corrected histogram untagged; in the open model the uncorrected one tagged.
  void add(const loadgen::second_latencies& s);
  /// Writes the header when no second came; `start` is then its start time.
  void finish(std::chrono::system_clock::time_point start);
  /// False once a write failed.
  bool ok() const { return static_cast<bool>(out_); }

 private:
  std::ostream& out_;
  bool started_ = false;
};

}  // namespace barrage::report

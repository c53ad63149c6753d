#include "report/hdr_log.hpp"

#include <fmt/format.h>

#include <ctime>

#include "report/hdr_encoding.hpp"

namespace barrage::report {
namespace {

/// `ms` since the epoch as seconds with three decimals, exactly.
std::string seconds_text(std::int64_t ms) {
  const std::int64_t s = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
  return fmt::format("{}.{:03}", s, ms - s * 1000);
}

/// As Java's Date.toString() (HistogramLogWriter's StartTime comment), in UTC.
std::string date_text(std::int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[64];
  const std::size_t n = std::strftime(buf, sizeof buf, "%a %b %d %H:%M:%S UTC %Y", &tm);
  return std::string(buf, n);
}

}  // namespace

result<std::string, std::string> parse_hdr_log_path(std::string_view text) {
  if (text.empty()) return fail(std::string("bad file name \"\": empty"));
  if (text == "-") return fail(std::string("bad file name \"-\": the log needs a file (stdout has the report)"));
  if (text.find('\0') != std::string_view::npos) return fail(std::string("bad file name: contains NUL"));
  return std::string(text);
}

std::string hdr_log_header(std::chrono::system_clock::time_point start) {
  const std::int64_t ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(start.time_since_epoch()).count();
  return fmt::format(
      "#[Histogram log format version 1.3]\n"
      "#[StartTime: {0} (seconds since epoch), {1}]\n"
      "#[BaseTime: {0} (seconds since epoch)]\n"
      "#[barrage: latency of successful requests in ns, Interval_Max in ms; untagged: from the intended send "
      "time (corrected); Tag=uncorrected (open model): from the actual send]\n"
      "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n",
      seconds_text(ms), date_text(ms));
}

std::string hdr_log_interval(std::string_view tag, double start_s, double length_s, const histogram& h) {
  std::string line;
  if (!tag.empty()) line = fmt::format("Tag={},", tag);
  line += fmt::format("{:.3f},{:.3f},{:.3f},", start_s, length_s, static_cast<double>(h.max()) / 1e6);
  line += hdr_compressed_base64(h);
  line += '\n';
  return line;
}

void hdr_log_writer::add(const loadgen::second_latencies& s) {
  if (!started_) {
    out_ << hdr_log_header(s.run_start);
    started_ = true;
  }
  const auto start = static_cast<double>(s.second);
  out_ << hdr_log_interval({}, start, 1.0, s.corrected);
  if (s.uncorrected) out_ << hdr_log_interval(hdr_uncorrected_tag, start, 1.0, *s.uncorrected);
  out_.flush();
}

void hdr_log_writer::finish(std::chrono::system_clock::time_point start) {
  if (!started_) out_ << hdr_log_header(start);
  started_ = true;
  out_.flush();
}

}  // namespace barrage::report

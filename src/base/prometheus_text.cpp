#include "base/prometheus_text.hpp"

#include <charconv>
#include <cmath>

namespace barrage {

void append_metric_value(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, static_cast<std::size_t>(r.ptr - buf));
  }
}

void exposition::family(std::string_view name, std::string_view type, std::string_view help) {
  out_.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out_.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void exposition::begin_sample(std::string_view name, std::string_view suffix, std::string_view labels,
                              std::string_view extra) {
  out_.append(name).append(suffix);
  if (!labels.empty() || !extra.empty()) {
    out_ += '{';
    out_.append(labels);
    if (!labels.empty() && !extra.empty()) out_ += ',';
    out_.append(extra);
    out_ += '}';
  }
  out_ += ' ';
}

void exposition::sample(std::string_view name, std::string_view labels, double value) {
  begin_sample(name, {}, labels, {});
  append_metric_value(out_, value);
  out_ += '\n';
}

void exposition::sample(std::string_view name, std::string_view labels, std::uint64_t value) {
  begin_sample(name, {}, labels, {});
  out_ += std::to_string(value);
  out_ += '\n';
}

void exposition::sample(std::string_view name, std::string_view labels, std::int64_t value) {
  begin_sample(name, {}, labels, {});
  out_ += std::to_string(value);
  out_ += '\n';
}

void exposition::histogram(std::string_view name, std::string_view labels, std::span<const double> bounds,
                           std::span<const std::uint64_t> counts, double sum) {
  std::uint64_t cumulative = 0;
  std::string le;
  for (std::size_t i = 0; i <= bounds.size(); ++i) {
    cumulative += i < counts.size() ? counts[i] : 0;
    le = "le=\"";
    if (i < bounds.size()) {
      char buf[32];  // plain decimals read better than the shortest form ("0.0001", not "1e-04")
      auto r = std::to_chars(buf, buf + sizeof buf, bounds[i], std::chars_format::fixed);
      le.append(buf, static_cast<std::size_t>(r.ptr - buf));
    } else {
      le += "+Inf";
    }
    le += '"';
    begin_sample(name, "_bucket", labels, le);
    out_ += std::to_string(cumulative);
    out_ += '\n';
  }
  begin_sample(name, "_sum", labels, {});
  append_metric_value(out_, sum);
  out_ += '\n';
  begin_sample(name, "_count", labels, {});
  out_ += std::to_string(cumulative);
  out_ += '\n';
}

}  // namespace barrage

#include "loadgen/metrics_options.hpp"

#include "base/option_values.hpp"
#include "base/quote_text.hpp"
#include "base/units.hpp"

namespace barrage::loadgen {

result<net::socket_address, std::string> parse_metrics_listen(std::string_view text) {
  const std::string bad = "bad address " + quote_text(text) + ": ";
  if (text.empty()) return fail(bad + "empty");
  auto colon = text.rfind(':');
  auto port = parse_count(colon == std::string_view::npos ? text : text.substr(colon + 1));
  if (port && *port > 65535) return fail(bad + "the port must be 0 to 65535");
  auto at = net::socket_address::parse(text);
  if (!at) return fail(bad + "expected a numeric HOST:PORT, e.g. 127.0.0.1:9464, [::1]:9464, 0.0.0.0:9464");
  return *at;
}

result<duration, std::string> parse_linger(std::string_view text) {
  return parse_duration_in(text, duration::zero(), max_linger);
}

result<std::vector<double>, std::string> parse_latency_bounds(std::string_view text) {
  const std::string bad = "bad bucket list " + quote_text(text) + ": ";
  std::vector<double> bounds;
  std::string_view previous;
  std::size_t at = 0;
  for (;;) {
    auto comma = text.find(',', at);
    auto item = text.substr(at, comma == std::string_view::npos ? std::string_view::npos : comma - at);
    if (item.empty()) return fail(bad + "an empty bound");
    auto d = parse_duration(item);
    if (!d) return fail(bad + d.error());
    if (*d <= duration::zero()) return fail(bad + "bound " + quote_text(item) + " is not above 0");
    if (*d > max_option_duration) return fail(bad + "bound " + quote_text(item) + " is above a year");
    // Exact integers divided once: "0.005" becomes the double nearest 0.005, as Prometheus reads it.
    const double s = static_cast<double>(d->count()) / 1e9;
    if (!bounds.empty() && s <= bounds.back())
      return fail(bad + "the bounds must increase (" + std::string(item) + " after " + std::string(previous) + ")");
    bounds.push_back(s);
    previous = item;
    if (bounds.size() > max_latency_bounds)
      return fail(bad + "more than " + std::to_string(max_latency_bounds) + " bounds");
    if (comma == std::string_view::npos) break;
    at = comma + 1;
  }
  return bounds;
}

result<std::optional<metrics_endpoint_config>, std::string> make_metrics_endpoint_config(
    const std::optional<std::string>& listen, const std::optional<std::string>& linger,
    const std::optional<std::string>& buckets) {
  if (!listen) {
    if (linger) return fail(std::string("--linger needs --metrics-listen (it keeps the metrics served after the run)"));
    if (buckets) return fail(std::string("--metrics-buckets needs --metrics-listen"));
    return std::optional<metrics_endpoint_config>();
  }
  metrics_endpoint_config c;
  option_reader in;
  in.read("--metrics-listen", listen, parse_metrics_listen, c.listen);
  in.read("--linger", linger, parse_linger, c.linger);
  in.read("--metrics-buckets", buckets, parse_latency_bounds, c.bounds_s);
  if (in.error()) return fail(*in.error());
  return std::optional<metrics_endpoint_config>(std::move(c));
}

}  // namespace barrage::loadgen

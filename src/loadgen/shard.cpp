#include "loadgen/shard.hpp"

#include <charconv>
#include <cmath>

#include "base/quote_text.hpp"

namespace barrage::loadgen {
namespace {

// A whole decimal number, digits only.
std::optional<std::uint64_t> whole(std::string_view s) {
  if (s.empty() || s.size() > 9) return std::nullopt;
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string limit_text() { return std::to_string(max_shards); }

}  // namespace

result<unsigned, std::string> parse_shard_count(std::string_view text) {
  auto n = whole(text);
  if (!n || *n < 1 || *n > max_shards)
    return fail("bad shard count " + quote_text(text) + ": must be a whole number from 1 to " + limit_text());
  return static_cast<unsigned>(*n);
}

result<shard_spec, std::string> parse_shard(std::string_view text) {
  const std::string bad = "bad shard " + quote_text(text) + ": ";
  auto slash = text.find('/');
  if (slash == std::string_view::npos) return fail(bad + "expected INDEX/COUNT from 0, e.g. 0/4 ... 3/4");
  auto index = whole(text.substr(0, slash));
  auto count = whole(text.substr(slash + 1));
  if (!index || !count) return fail(bad + "expected INDEX/COUNT from 0, e.g. 0/4 ... 3/4");
  if (*count < 1 || *count > max_shards) return fail(bad + "the count must be from 1 to " + limit_text());
  if (*index >= *count)
    return fail(bad + "the index counts from 0 and must be below the count (" + std::to_string(*count) + ")");
  return shard_spec{static_cast<unsigned>(*index), static_cast<unsigned>(*count)};
}

result<shard_spec, std::string> shard_from_environment(unsigned count, const std::optional<std::string>& index_env) {
  if (!index_env)
    return fail("--shards " + std::to_string(count) +
                ": JOB_COMPLETION_INDEX is not set (a Kubernetes Indexed Job sets it; elsewhere give --shard I/N)");
  auto index = whole(*index_env);
  if (!index || *index >= count)
    return fail("--shards " + std::to_string(count) + ": bad JOB_COMPLETION_INDEX " + quote_text(*index_env) +
                ": expected a whole number from 0 to " + std::to_string(count - 1));
  return shard_spec{static_cast<unsigned>(*index), count};
}

std::uint64_t integer_share(std::uint64_t total, shard_spec s) noexcept {
  return total / s.count + (s.index < total % s.count ? 1 : 0);
}

std::uint64_t share_offset(std::uint64_t total, shard_spec s) noexcept {
  const std::uint64_t extra = total % s.count;
  return total / s.count * s.index + (s.index < extra ? s.index : extra);
}

result<run_config, std::string> shard_config(const run_config& c, shard_spec s) {
  run_config out = c;
  out.shard = s;
  const std::string who = "--shard " + std::to_string(s.index) + "/" + std::to_string(s.count) + ": ";
  const auto each = [&](const std::string& what) {
    return who + what + " is fewer than " + std::to_string(s.count) +
           " shards (give at least one per shard, or use fewer shards)";
  };
  // Every shard refuses alike (not only those whose share is empty), so that no part runs alone.
  if (c.connections < s.count) return fail(each("-c " + std::to_string(c.connections)));
  if (c.requests && *c.requests < s.count) return fail(each("-n " + std::to_string(*c.requests)));
  if (!c.sources.empty() && c.sources.size() < s.count)
    return fail(each("--source with " + std::to_string(c.sources.size()) + " address(es)"));
  out.connections = static_cast<unsigned>(integer_share(c.connections, s));
  if (c.requests) out.requests = integer_share(*c.requests, s);
  if (c.rate) out.rate = *c.rate / s.count;
  for (auto& stage : out.ramp) {
    if (c.open_model())
      stage.target /= s.count;
    else
      stage.target = static_cast<double>(integer_share(static_cast<std::uint64_t>(std::llround(stage.target)), s));
  }
  if (!c.sources.empty()) {
    const auto n = integer_share(c.sources.size(), s);
    const auto from = c.sources.begin() + static_cast<std::ptrdiff_t>(share_offset(c.sources.size(), s));
    out.sources.assign(from, from + static_cast<std::ptrdiff_t>(n));
  }
  return out;
}

}  // namespace barrage::loadgen

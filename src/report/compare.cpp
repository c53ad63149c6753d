#include "report/compare.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <set>
#include <utility>

#include "loadgen/histogram.hpp"

namespace barrage::report {
namespace {

using nlohmann::json;

// ---- The tables: a new figure or a new kind of section is one entry here. ----

/// A number read at a JSON pointer inside a section (the whole report, or one step or target).
/// `flat`: where a step or target (report_scenario.cpp's shape) holds it, if elsewhere.
struct scalar_figure {
  const char* name;
  const char* pointer;
  figure_unit unit;
  better_when better;
  const char* flat = nullptr;
};
constexpr scalar_figure leading_figures[] = {
    {"throughput", "/throughput/requests_per_second", figure_unit::per_second, better_when::higher, "/rps"},
    {"succeeded", "/requests/succeeded", figure_unit::count, better_when::higher, "/succeeded"},
};
constexpr scalar_figure trailing_figures[] = {
    {"error rate", "/rates/error", figure_unit::fraction, better_when::lower},
};

/// The figures of the optional sections of a run (websocket, streams), each read from the
/// section's serialized histogram, or from its summary (ms, or per second) when a report has
/// no histograms; or a count, or a sum of counts (an object's values).
struct protocol_figure {
  const char* section;    // the top-level key and the lines' section
  const char* name;
  const char* histogram;  // pointer to the serialized histogram; nullptr: `value` is a number
  double percentile;
  const char* value;      // the summary's value (or the number, or an object of counts)
  double scale;           // histogram units per unit of the line (1: ns; 1000: millievents per event)
  double summary_scale;   // the line's units per unit of `value` (1e6: ms to ns)
  figure_unit unit;
  better_when better;
  const char* none;       // what an empty histogram lacks, for "no ... in base"
};
constexpr protocol_figure protocol_figures[] = {
    {"websocket", "message p50", "/histograms/latency", 50, "/latency/p50", 1, 1e6, figure_unit::nanoseconds,
     better_when::lower, "answered messages"},
    {"websocket", "message p99", "/histograms/latency", 99, "/latency/p99", 1, 1e6, figure_unit::nanoseconds,
     better_when::lower, "answered messages"},
    {"websocket", "message gap p99", "/histograms/gap", 99, "/gap/p99", 1, 1e6, figure_unit::nanoseconds,
     better_when::lower, "gaps"},
    {"websocket", "messages/s", nullptr, 0, "/messages/received_per_second", 1, 1, figure_unit::per_second,
     better_when::higher, ""},
    {"websocket", "dropped connections", nullptr, 0, "/connections/dropped", 1, 1, figure_unit::count,
     better_when::lower, ""},
    {"streams", "ttfb p50", "/histograms/ttfb", 50, "/ttfb/p50", 1, 1e6, figure_unit::nanoseconds, better_when::lower,
     "streams"},
    {"streams", "ttfb p99", "/histograms/ttfb", 99, "/ttfb/p99", 1, 1e6, figure_unit::nanoseconds, better_when::lower,
     "streams"},
    {"streams", "gap p99", "/histograms/gap", 99, "/gap/p99", 1, 1e6, figure_unit::nanoseconds, better_when::lower,
     "gaps"},
    {"streams", "events/s p50", "/histograms/events_per_second", 50, "/events_per_second/p50", 1000, 1,
     figure_unit::per_second, better_when::higher, "streams of 2 events or more"},
};

/// The latency figures taken from a serialized histogram. percentile 100: the exact max;
/// below 0: the exact mean.
struct latency_figure {
  const char* name;
  double percentile;
};
constexpr latency_figure latency_figures[] = {{"p50", 50},     {"p75", 75},      {"p90", 90},   {"p99", 99},
                                              {"p99.9", 99.9}, {"p99.99", 99.99}, {"max", 100}, {"mean", -1}};

/// Report members holding named sections of the report's shape, each compared like the whole
/// run: an object {name: section} or an array of sections with a "name".
struct section_group {
  const char* key;
  const char* label;
};
constexpr section_group section_groups[] = {{"steps", "step"}, {"targets", "target"}};

/// Top-level identity fields listed with the config's when they differ.
constexpr const char* identity_fields[] = {"barrage_version", "target_address", "protocol"};

// ---- Reading a section. ----

std::optional<double> number_at(const json& section, const char* pointer) {
  const json::json_pointer p(pointer);
  if (!section.is_object() || !section.contains(p)) return std::nullopt;
  const json& v = section.at(p);
  if (!v.is_number()) return std::nullopt;
  return v.get<double>();
}

/// The histogram serialized at `key` ({"format":"h1","data":...}); none when absent or null.
result<std::optional<histogram>, std::string> histogram_at(const json& section, const char* key) {
  if (!section.is_object() || !section.contains(key) || section[key].is_null()) return std::optional<histogram>{};
  const json& h = section[key];
  if (!h.is_object() || !h.contains("data") || !h["data"].is_string())
    return fail(std::string(key) + ": not a serialized histogram (no \"data\" text)");
  auto decoded = histogram::deserialize(h["data"].get<std::string>());
  if (!decoded) return fail(std::string(key) + ": " + decoded.error());
  return std::optional<histogram>(std::move(*decoded));
}

/// One side of a section, its histograms decoded.
struct section_view {
  const json* j = nullptr;
  std::optional<histogram> corrected;    // "histogram": from the intended send in the open model
  std::optional<histogram> uncorrected;  // "histogram_uncorrected": open model only
  bool open = false;
  /// Latency from the actual send: the uncorrected histogram in the open model; in the closed
  /// model latency is measured from the send anyway.
  const histogram* from_send() const {
    if (open) return uncorrected ? &*uncorrected : nullptr;
    return corrected ? &*corrected : nullptr;
  }
};

result<section_view, std::string> view_of(const json& section, bool open, const char* side) {
  section_view v;
  v.j = &section;
  v.open = open;
  auto c = histogram_at(section, "histogram");
  if (!c) return fail(std::string(side) + " report's " + c.error());
  v.corrected = std::move(*c);
  auto u = histogram_at(section, "histogram_uncorrected");
  if (!u) return fail(std::string(side) + " report's " + u.error());
  v.uncorrected = std::move(*u);
  return v;
}

double latency_value(const histogram& h, double percentile) {
  if (percentile < 0) return h.mean();
  if (percentile >= 100) return static_cast<double>(h.max());
  return static_cast<double>(h.value_at_percentile(percentile));
}

/// The histogram's resolution at `ns`: the width of the bucket holding it.
double resolution(double ns) {
  const double clamped = std::clamp(ns, 0.0, static_cast<double>(histogram::max_value));
  const auto index = histogram::index_of(static_cast<std::uint64_t>(clamped));
  return static_cast<double>(histogram::highest_equivalent(index) - histogram::lowest_equivalent(index) + 1);
}

std::uint64_t count_at(const json& section, const char* pointer) {
  auto v = number_at(section, pointer);
  if (!v || !(*v > 0)) return 0;
  return *v >= 0x1p64 ? UINT64_MAX : static_cast<std::uint64_t>(*v);  // the cast of a larger double is undefined
}

/// The count of error `kind` (a key of "errors": not a JSON pointer, which "~" or "/" would upset).
std::uint64_t error_count(const json& section, const std::string& kind) {
  if (!section.is_object() || !section.contains("errors") || !section["errors"].is_object()) return 0;
  const json& errors = section["errors"];
  const auto it = errors.find(kind);
  if (it == errors.end() || !it->is_number() || !(it->get<double>() > 0)) return 0;
  return it->get<double>() >= 0x1p64 ? UINT64_MAX : static_cast<std::uint64_t>(it->get<double>());
}

// ---- Building the lines. ----

/// The lines of one section pair.
class section_comparer {
 public:
  section_comparer(std::string section, const section_view& base, const section_view& next, double max_regression,
                   std::vector<compared_figure>& out)
      : section_(std::move(section)), base_(base), next_(next), max_(max_regression), out_(out) {}

  void all() {
    for (const auto& f : leading_figures) scalar(f);
    latency_family("", base_.corrected ? &*base_.corrected : nullptr,
                   next_.corrected ? &*next_.corrected : nullptr,
                   base_.open != next_.open ? "open vs closed model (compare the uncorrected lines)" : "");
    if (base_.open || next_.open) latency_family("uncorrected ", base_.from_send(), next_.from_send(), "");
    for (const auto& f : trailing_figures) scalar(f);
    error_kinds();
  }

 private:
  compared_figure line(std::string name, figure_unit unit, better_when better) const {
    compared_figure f;
    f.section = section_;
    f.name = std::move(name);
    f.unit = unit;
    f.better = better;
    return f;
  }

  /// Judges `f` (f.base, f.next set where present) and appends it. `base_gap` / `next_gap`:
  /// why a side has no value.
  void settle(compared_figure f, double noise, const std::string& base_gap, const std::string& next_gap,
              const std::string& incomparable = "") {
    if (!f.base && !f.next) return;  // in neither report: no line
    if (!f.base || !f.next || !incomparable.empty()) {
      f.judged = {std::nullopt, verdict::not_comparable};
      f.reason = !incomparable.empty() ? incomparable : !f.base ? base_gap : next_gap;
      if (f.base && f.next && *f.base != 0) f.judged.change_pct = (*f.next - *f.base) * 100 / std::fabs(*f.base);
    } else {
      f.judged = judge(*f.base, *f.next, f.better, noise, max_);
    }
    out_.push_back(std::move(f));
  }

  void scalar(const scalar_figure& s) {
    auto f = line(s.name, s.unit, s.better);
    auto at = [&](const json& j) {
      auto v = number_at(j, s.pointer);
      return v || !s.flat ? v : number_at(j, s.flat);
    };
    f.base = at(*base_.j);
    f.next = at(*next_.j);
    settle(std::move(f), 0, "no value in base", "no value in new");
  }

  static std::string histogram_gap(const histogram* h, const char* side) {
    return h ? std::string("no successful requests in ") + side : std::string("no histogram in ") + side;
  }

  void latency_family(const std::string& prefix, const histogram* b, const histogram* n, const std::string& incomparable) {
    const bool b_ok = b && b->count() > 0, n_ok = n && n->count() > 0;
    for (const auto& l : latency_figures) {
      auto f = line(prefix + l.name, figure_unit::nanoseconds, better_when::lower);
      if (b_ok) f.base = latency_value(*b, l.percentile);
      if (n_ok) f.next = latency_value(*n, l.percentile);
      if (!f.base && !f.next && (b || n)) {  // a histogram, but empty: still a line
        f.judged = {std::nullopt, verdict::not_comparable};
        f.reason = b && n ? "no successful requests in either run" : !b ? histogram_gap(b, "base") : histogram_gap(n, "new");
        out_.push_back(std::move(f));
        continue;
      }
      const double noise = std::max(resolution(f.base.value_or(0)), resolution(f.next.value_or(0)));
      settle(std::move(f), noise, histogram_gap(b, "base"), histogram_gap(n, "new"), incomparable);
    }
  }

  /// Each error kind (and status_NNN) seen in either run, as its share of completed requests.
  void error_kinds() {
    std::set<std::string> kinds;
    for (const json* j : {base_.j, next_.j})
      if (j->is_object() && j->contains("errors") && (*j)["errors"].is_object())
        for (const auto& [k, v] : (*j)["errors"].items())
          if (v.is_number() && v.get<double>() > 0) kinds.insert(k);
    for (const auto& kind : kinds) {
      auto f = line("errors " + kind, figure_unit::fraction, better_when::lower);
      f.base_count = error_count(*base_.j, kind);
      f.next_count = error_count(*next_.j, kind);
      f.base = share(*base_.j, *f.base_count);
      f.next = share(*next_.j, *f.next_count);
      settle(std::move(f), 0, "no completed requests in base", "no completed requests in new");
    }
  }

  static std::optional<double> share(const json& section, std::uint64_t n) {
    const bool flat = section.contains("requests") && section["requests"].is_number();  // a step or target
    const std::uint64_t completed = flat ? count_at(section, "/succeeded") + count_at(section, "/failed") +
                                               count_at(section, "/timed_out")
                                         : count_at(section, "/requests/succeeded") +
                                               count_at(section, "/requests/failed") +
                                               count_at(section, "/requests/timed_out");
    if (completed == 0) return std::nullopt;
    return static_cast<double>(n) / static_cast<double>(completed);
  }

  std::string section_;
  const section_view& base_;
  const section_view& next_;
  double max_;
  std::vector<compared_figure>& out_;
};

/// One side's value of a protocol figure: none when the section, the value or the samples are
/// missing (`empty` says the histogram was there but held none).
result<std::optional<double>, std::string> protocol_value(const json& report, const protocol_figure& p, bool& empty) {
  if (!report.contains(p.section) || !report[p.section].is_object()) return std::optional<double>{};
  const json& section = report[p.section];
  if (p.histogram && section.contains(json::json_pointer(p.histogram))) {
    const json& h = section.at(json::json_pointer(p.histogram));
    if (!h.is_object() || !h.contains("data") || !h["data"].is_string())
      return fail(std::string(p.section) + p.histogram + ": not a serialized histogram (no \"data\" text)");
    auto decoded = histogram::deserialize(h["data"].get<std::string>());
    if (!decoded) return fail(std::string(p.section) + p.histogram + ": " + decoded.error());
    empty = decoded->count() == 0;
    if (empty) return std::optional<double>{};
    return std::optional<double>(latency_value(*decoded, p.percentile) / p.scale);
  }
  const json::json_pointer at(p.value);
  if (!section.contains(at)) return std::optional<double>{};
  const json& v = section.at(at);
  if (v.is_object()) {  // counts by reason: their sum
    double sum = 0;
    for (const auto& [k, n] : v.items())
      if (n.is_number()) sum += n.get<double>();
    return std::optional<double>(sum);
  }
  if (!v.is_number()) return std::optional<double>{};
  return std::optional<double>(v.get<double>() * p.summary_scale);
}

/// The lines of the websocket and streams sections, where either report has the section.
result<void, std::string> compare_protocols(const json& base, const json& next, double max_regression,
                                            std::vector<compared_figure>& out) {
  for (const auto& p : protocol_figures) {
    if (!base.contains(p.section) && !next.contains(p.section)) continue;
    bool base_empty = false, next_empty = false;
    auto b = protocol_value(base, p, base_empty);
    if (!b) return fail("base report's " + b.error());
    auto n = protocol_value(next, p, next_empty);
    if (!n) return fail("new report's " + n.error());
    if (!*b && !*n) continue;  // e.g. message latency in listen mode: no line
    compared_figure f;
    f.section = p.section;
    f.name = p.name;
    f.unit = p.unit;
    f.better = p.better;
    f.base = *b;
    f.next = *n;
    if (!f.base || !f.next) {
      const bool base_missing = !f.base;
      const std::string side = base_missing ? "base" : "new";
      f.judged = {std::nullopt, verdict::not_comparable};
      if (base_missing ? base_empty : next_empty) f.reason = std::string("no ") + p.none + " in " + side;
      else if (!(base_missing ? base : next).contains(p.section)) f.reason = std::string("no ") + p.section + " section in " + side;
      else f.reason = "no value in " + side;
    } else {
      // Histogram figures are within one bucket of the truth: a change within it is the same.
      const double noise =
          p.histogram ? std::max(resolution(*f.base * p.scale), resolution(*f.next * p.scale)) / p.scale : 0;
      f.judged = judge(*f.base, *f.next, f.better, noise, max_regression);
    }
    out.push_back(std::move(f));
  }
  return {};
}

bool is_open(const json& report) {
  const json::json_pointer p("/config/model");
  return report.contains(p) && report.at(p) == "open";
}

/// The named sections of `group` in `report`, in the report's order.
std::vector<std::pair<std::string, const json*>> sections_of(const json& report, const char* group) {
  std::vector<std::pair<std::string, const json*>> out;
  if (!report.contains(group)) return out;
  const json& g = report[group];
  if (g.is_object()) {
    for (const auto& [name, section] : g.items()) out.emplace_back(name, &section);
  } else if (g.is_array()) {
    for (const auto& section : g)
      if (section.is_object() && section.contains("name") && section["name"].is_string())
        out.emplace_back(section["name"].get<std::string>(), &section);
  }
  return out;
}

std::vector<config_difference> config_differences(const json& base, const json& next) {
  std::vector<config_difference> out;
  auto differ = [&](const std::string& field, const json& b, const json& n) {
    if (b != n) out.push_back({field, b, n});
  };
  for (const char* f : identity_fields)
    differ(f, base.value(f, json(nullptr)), next.value(f, json(nullptr)));
  const json empty = json::object();
  const json& bc = base.contains("config") && base["config"].is_object() ? base["config"] : empty;
  const json& nc = next.contains("config") && next["config"].is_object() ? next["config"] : empty;
  std::set<std::string> keys;
  for (const auto& [k, v] : bc.items()) keys.insert(k);
  for (const auto& [k, v] : nc.items()) keys.insert(k);
  for (const auto& k : keys) differ("config." + k, bc.value(k, json(nullptr)), nc.value(k, json(nullptr)));
  return out;
}

/// Whether `text` nests arrays and objects deeper than `limit` (strings skipped): such JSON
/// would recurse that deep when compared, printed or destroyed. A report nests 4 levels.
bool nests_deeper_than(std::string_view text, int limit) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char ch : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (ch == '\\') escaped = true;
      else if (ch == '"') in_string = false;
    } else if (ch == '"') {
      in_string = true;
    } else if (ch == '[' || ch == '{') {
      if (++depth > limit) return true;
    } else if (ch == ']' || ch == '}') {
      --depth;
    }
  }
  return false;
}

bool flag(const json& report, const char* key) {
  return report.contains(key) && report[key].is_boolean() && report[key].get<bool>();
}

result<void, std::string> compare_section(const std::string& label, const json& base, const json& next, bool base_open,
                                          bool next_open, double max_regression, std::vector<compared_figure>& out) {
  auto b = view_of(base, base_open, "base");
  if (!b) return fail(b.error());
  auto n = view_of(next, next_open, "new");
  if (!n) return fail(n.error());
  section_comparer(label, *b, *n, max_regression, out).all();
  return {};
}

}  // namespace

std::string_view to_string(verdict v) noexcept {
  switch (v) {
    case verdict::better: return "better";
    case verdict::same: return "same";
    case verdict::tolerated: return "tolerated";
    case verdict::worse: return "worse";
    case verdict::not_comparable: return "not_comparable";
  }
  return "not_comparable";
}

judgement judge(double base, double next, better_when better, double noise, double max_regression_pct) noexcept {
  judgement j;
  if (base != 0) j.change_pct = (next - base) * 100 / std::fabs(base);
  if (std::fabs(next - base) <= noise) {
    j.v = verdict::same;
  } else if (better == better_when::lower ? next < base : next > base) {
    j.v = verdict::better;
  } else if (!j.change_pct) {
    j.v = verdict::worse;  // from zero: no percentage can be within any threshold
  } else {
    j.v = std::fabs(*j.change_pct) > max_regression_pct ? verdict::worse : verdict::tolerated;
  }
  return j;
}

bool comparison::regressed() const noexcept { return count(verdict::worse) > 0; }

std::size_t comparison::count(verdict v) const noexcept {
  return static_cast<std::size_t>(
      std::count_if(figures.begin(), figures.end(), [v](const compared_figure& f) { return f.judged.v == v; }));
}

result<nlohmann::json, std::string> parse_saved_report(std::string_view text) {
  constexpr int max_depth = 64;
  if (nests_deeper_than(text, max_depth))
    return fail("not a barrage report: nested deeper than " + std::to_string(max_depth) + " levels");
  json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return fail(std::string("not JSON (a barrage report is the JSON of --json FILE)"));
  if (!j.is_object()) return fail(std::string("not a barrage report: not a JSON object"));
  if (!j.contains("schema_version") || !j["schema_version"].is_number_integer())
    return fail(std::string("not a barrage report: no integer \"schema_version\""));
  if (!j.contains("barrage_version") || !j["barrage_version"].is_string())
    return fail(std::string("not a barrage report: no \"barrage_version\""));
  return j;
}

result<comparison, std::string> compare_reports(const nlohmann::json& base, const nlohmann::json& next,
                                                const compare_options& options) {
  const auto bv = base.value("schema_version", -1), nv = next.value("schema_version", -1);
  if (bv != nv)
    return fail("the reports have different schema versions (base " + std::to_string(bv) + ", new " +
                std::to_string(nv) + "): their fields do not mean the same");
  comparison c;
  c.max_regression_pct = options.max_regression_pct;
  c.secrets_shown = flag(base, "secrets_shown") || flag(next, "secrets_shown");
  c.config_differences = config_differences(base, next);
  const bool base_open = is_open(base), next_open = is_open(next);
  auto whole = compare_section("", base, next, base_open, next_open, c.max_regression_pct, c.figures);
  if (!whole) return fail(whole.error());
  if (auto p = compare_protocols(base, next, c.max_regression_pct, c.figures); !p) return fail(p.error());
  const json none = json::object();
  for (const auto& g : section_groups) {
    auto b = sections_of(base, g.key), n = sections_of(next, g.key);
    std::vector<std::string> names;  // the base's order, then sections only the new run has
    for (const auto& [name, s] : b) names.push_back(name);
    for (const auto& [name, s] : n)
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    auto find = [](const auto& list, const std::string& name) {
      for (const auto& [k, s] : list)
        if (k == name) return s;
      return static_cast<const json*>(nullptr);
    };
    for (const auto& name : names) {
      const json* bs = find(b, name);
      const json* ns = find(n, name);
      auto r = compare_section(std::string(g.label) + " " + name, bs ? *bs : none, ns ? *ns : none, base_open,
                               next_open, c.max_regression_pct, c.figures);
      if (!r) return fail(std::string(g.label) + " " + name + ": " + r.error());
    }
  }
  return c;
}

result<double, std::string> parse_max_regression(std::string_view text) {
  std::string_view number = text;
  if (number.ends_with('%')) number.remove_suffix(1);
  while (number.ends_with(' ')) number.remove_suffix(1);
  double v = 0;
  const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), v);
  if (number.empty() || ec != std::errc() || end != number.data() + number.size() || !std::isfinite(v) || v < 0)
    return fail("\"" + std::string(text) + "\" is not a percentage of 0 or more (e.g. 5, 2.5 or 10%)");
  return v;
}

}  // namespace barrage::report

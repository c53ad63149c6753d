#include "loadgen/scenario_node.hpp"

#include <cmath>
#include <cstdlib>
#include <set>

#include "base/units.hpp"

namespace barrage::loadgen::scenario_doc {
namespace {

unsigned from0(int n) { return n < 0 ? 0 : static_cast<unsigned>(n) + 1; }

std::string join(std::initializer_list<std::string_view> names) {
  std::string s;
  for (auto n : names) s += (s.empty() ? "" : ", ") + std::string(n);
  return s;
}

/// A plain (unquoted) scalar, whose position inside maps one to one to the text's offsets
/// when it is on one line.
bool plain(const YAML::Node& n) { return n.Tag() == "?"; }

/// JSON's number grammar (RFC 8259 §6).
bool json_number(std::string_view s) {
  std::size_t i = 0;
  auto digits = [&] {
    const std::size_t from = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i > from;
  };
  if (i < s.size() && s[i] == '-') ++i;
  if (i < s.size() && s[i] == '0')
    ++i;
  else if (!digits())
    return false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == s.size();
}

/// Appends `text`'s template to `t`: literals escaped as `esc` says, variables given `esc`.
void append_template(const YAML::Node& node, std::string_view what, std::string_view body,
                     template_part::escape esc, const name_lookup& resolve, text_template& t) {
  auto where = [&](std::size_t offset) {
    return body.find('\n') == std::string_view::npos ? mark_at(node, offset) : node.Mark();
  };
  auto pieces = parse_template(body);
  if (!pieces) fault_at(where(pieces.error().offset), std::string(what) + ": " + pieces.error().message);
  for (const auto& piece : *pieces) {
    if (piece.variable) {
      auto var = resolve(piece.text);
      if (!var) fault_at(where(piece.offset), var.error());
      template_part p;
      p.k = template_part::variable;
      p.esc = esc;
      p.var = *var;
      t.parts.push_back(std::move(p));
      continue;
    }
    std::string lit;
    if (esc == template_part::json_string)
      append_json_escaped(piece.text, lit);
    else
      lit = piece.text;
    if (!t.parts.empty() && t.parts.back().k == template_part::literal)
      t.parts.back().text += lit;
    else
      t.parts.push_back(template_part{template_part::literal, template_part::raw, std::move(lit), 0});
  }
}

void append_literal(text_template& t, std::string_view s) {
  if (!t.parts.empty() && t.parts.back().k == template_part::literal)
    t.parts.back().text += s;
  else
    t.parts.push_back(template_part{template_part::literal, template_part::raw, std::string(s), 0});
}

void json_value(const YAML::Node& n, const name_lookup& resolve, text_template& t) {
  if (!n || n.IsNull()) {
    append_literal(t, "null");
  } else if (n.IsMap()) {
    append_literal(t, "{");
    bool first = true;
    std::set<std::string> seen;
    for (auto it = n.begin(); it != n.end(); ++it) {
      if (!it->first.IsScalar()) fault_at(it->first, "a JSON body's keys are strings");
      if (!seen.insert(it->first.Scalar()).second)
        fault_at(it->first, "duplicate key '" + it->first.Scalar() + "' in a JSON body");
      append_literal(t, first ? "\"" : ",\"");
      first = false;
      std::string key;
      append_json_escaped(it->first.Scalar(), key);
      append_literal(t, key + "\":");
      json_value(it->second, resolve, t);
    }
    append_literal(t, "}");
  } else if (n.IsSequence()) {
    append_literal(t, "[");
    for (std::size_t i = 0; i < n.size(); ++i) {
      if (i != 0) append_literal(t, ",");
      json_value(n[i], resolve, t);
    }
    append_literal(t, "]");
  } else {
    const std::string& s = n.Scalar();
    if (plain(n) && (json_number(s) || s == "true" || s == "false" || s == "null")) {
      append_literal(t, s);
      return;
    }
    append_literal(t, "\"");
    append_template(n, "a JSON body's string", s, template_part::json_string, resolve, t);
    append_literal(t, "\"");
  }
}

}  // namespace

void fault_at(const YAML::Mark& mark, std::string message) {
  throw scenario_fault{from0(mark.line), from0(mark.column), std::move(message)};
}
void fault_at(const YAML::Node& node, std::string message) { fault_at(node.Mark(), std::move(message)); }

YAML::Mark mark_at(const YAML::Node& node, std::size_t offset) {
  YAML::Mark m = node.Mark();
  if (plain(node) && node.IsScalar() && node.Scalar().find('\n') == std::string::npos) m.column += static_cast<int>(offset);
  return m;
}

void check_keys(const YAML::Node& map, std::string_view what, std::initializer_list<std::string_view> allowed) {
  if (!map.IsMap()) fault_at(map, std::string(what) + " is a mapping (keys " + join(allowed) + ")");
  std::set<std::string> seen;
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (!it->first.IsScalar()) fault_at(it->first, "a key of " + std::string(what) + " is a string");
    const std::string& key = it->first.Scalar();
    bool known = false;
    for (auto a : allowed) known = known || key == a;
    if (!known) fault_at(it->first, "unknown key '" + key + "' in " + std::string(what) + " (" + join(allowed) + ")");
    if (!seen.insert(key).second) fault_at(it->first, "duplicate key '" + key + "' in " + std::string(what));
  }
}

std::string text(const YAML::Node& node, std::string_view what) {
  if (!node.IsScalar()) fault_at(node, std::string(what) + " is a string");
  return node.Scalar();
}

double positive_number(const YAML::Node& node, std::string_view what) {
  const std::string s = text(node, what);
  const double v = json_number(s) ? std::strtod(s.c_str(), nullptr) : 0;
  if (!std::isfinite(v) || v <= 0) fault_at(node, std::string(what) + " must be a number > 0, not '" + s + "'");
  return v;
}

think_time think(const YAML::Node& node) {
  const std::string s = text(node, "think");
  const std::size_t dash = s.find('-');
  auto parse = [&](std::string_view part) {
    auto d = parse_duration(part);
    if (!d) fault_at(node, "think: " + d.error() + " (500ms, or 200ms-1s)");
    return *d;
  };
  think_time t;
  t.min = parse(std::string_view(s).substr(0, dash));
  t.max = dash == std::string::npos ? t.min : parse(std::string_view(s).substr(dash + 1));
  if (t.max < t.min) fault_at(node, "think: the range '" + s + "' ends before it starts");
  return t;
}

std::vector<std::pair<unsigned, unsigned>> statuses(const YAML::Node& node) {
  std::vector<std::pair<unsigned, unsigned>> out;
  auto one = [&](const YAML::Node& n) {
    const std::string s = text(n, "expect: status");
    const std::size_t dash = s.find('-');
    auto number = [&](std::string_view part) -> unsigned {
      unsigned v = 0;
      bool ok = !part.empty() && part.size() <= 3;
      for (char c : part) {
        ok = ok && c >= '0' && c <= '9';
        v = v * 10 + static_cast<unsigned>(c - '0');
      }
      if (!ok || v < 100 || v > 599)
        fault_at(n, "expect: status '" + s + "' is not a status (100-599) or a range of them (200-299)");
      return v;
    };
    const unsigned lo = number(std::string_view(s).substr(0, dash));
    const unsigned hi = dash == std::string::npos ? lo : number(std::string_view(s).substr(dash + 1));
    if (hi < lo) fault_at(n, "expect: the status range '" + s + "' ends before it starts");
    out.emplace_back(lo, hi);
  };
  if (node.IsSequence()) {
    for (const auto& n : node) one(n);
    if (out.empty()) fault_at(node, "expect: status lists at least one status");
  } else {
    one(node);
  }
  return out;
}

text_template compile(const YAML::Node& node, std::string_view what, template_part::escape esc,
                      const name_lookup& resolve) {
  text_template t;
  append_template(node, what, text(node, what), esc, resolve, t);
  return t;
}

text_template json_body(const YAML::Node& node, const name_lookup& resolve) {
  text_template t;
  json_value(node, resolve, t);
  return t;
}

}  // namespace barrage::loadgen::scenario_doc

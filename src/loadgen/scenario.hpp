#pragma once
// A scenario and a targets list as the workers run them: compiled once, when the file is
// loaded (loadgen/scenario_file.hpp, loadgen/targets_file.hpp), checked fully, immutable
// afterwards. No parsing here: plain values, shared read-only by every worker.
//
// Variables: every {{name}} a file uses is one entry of scenario::variables, referred to by its
// index. The built-ins have the fixed indices below; then the data file's columns; then the
// captures (a name both a column and a capture is one variable: the capture overwrites it).
// A virtual user holds one std::string per variable and renders templates from them
// (loadgen/scenario_template.hpp).
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/clock.hpp"

namespace barrage::loadgen {

/// Indices of the built-in variables in scenario::variables (always present, in this order).
enum builtin_variable : unsigned {
  var_user = 0,       // {{user}}: the virtual user's index, from 0
  var_counter = 1,    // {{counter}}: iterations this user has completed or aborted so far
  var_random_id = 2,  // {{random_id}}: a fresh random id (16 hex digits) at every use
  var_iteration = 3,  // {{iteration}}: the run's iteration number (over all users), from 0
  builtin_variable_count = 4,
};

/// One piece of a template: literal text, or a variable's current value.
struct template_part {
  enum kind : std::uint8_t { literal, variable };
  /// How a variable's value is written: as is (paths, headers, text bodies), or escaped as the
  /// inside of a JSON string (the string values of a JSON body).
  enum escape : std::uint8_t { raw, json_string };
  kind k = literal;
  escape esc = raw;
  std::string text;  // literal: the text
  unsigned var = 0;  // variable: index into scenario::variables
  bool operator==(const template_part&) const = default;
};

/// Text with {{name}} references, split once into parts. Adjacent literals are merged; a
/// template without variables is one literal part (or none when empty).
struct text_template {
  std::vector<template_part> parts;
  bool constant() const noexcept {
    for (const auto& p : parts)
      if (p.k == template_part::variable) return false;
    return true;
  }
  /// The text of a constant template (empty otherwise).
  std::string literal_text() const {
    std::string s;
    if (constant())
      for (const auto& p : parts) s += p.text;
    return s;
  }
  bool operator==(const text_template&) const = default;
};

/// A value taken from a response into a variable.
struct capture {
  enum from : std::uint8_t { json_pointer, header, status };
  std::string name;  // the variable's name
  unsigned var = 0;  // its index into scenario::variables
  from source = json_pointer;
  /// json_pointer: the pointer ("/token", "/items/0/id"), checked valid (RFC 6901); the value
  /// captured is a JSON string's text, or the JSON text of any other value.
  /// header: the header's name (matched case-insensitively; the first one). status: empty.
  std::string where;
};

/// What makes a step succeed. A step that does not ends the user's iteration (aborted).
struct expectation {
  /// Inclusive ranges of accepted statuses; empty: the run's --success policy.
  std::vector<std::pair<unsigned, unsigned>> statuses;
  /// Captures (variable indices) that must have found their value; the others keep the
  /// variable's previous value when absent from a response.
  std::vector<unsigned> must_capture;
};

/// The pause after a step: fixed when min == max, else uniform in [min, max]; zero: none.
struct think_time {
  duration min{};
  duration max{};
  bool none() const noexcept { return max == duration{}; }
};

struct step {
  std::string name;  // unique in the scenario (the report's `steps` key)
  std::string method;
  /// A path ("/items/{{id}}", absolute: starts with '/') sent to scenario::base_url, or a whole
  /// URL ("http://host:port/path", `absolute` set) that starts with a literal scheme and host.
  text_template target;
  bool absolute = false;
  /// Every header to send: the scenario's defaults first (as constant templates), then the
  /// step's own; a step's header replaces a default of the same name (case-insensitively).
  std::vector<std::pair<std::string, text_template>> headers;
  text_template body;  // empty: no body
  std::vector<capture> captures;
  expectation expect;
  think_time think;
};

struct flow {
  std::string name;
  double weight = 1;  // > 0; users pick a flow with probability weight / sum of weights
  std::vector<step> steps;
};

/// `data: users.csv`: rows read at load time (a header row names the columns).
struct data_feed {
  /// sequential: user i takes row i mod rows (then the next row at each iteration);
  /// random: a random row at each iteration; unique: each row is taken by at most one user
  /// (a user that finds none left stops: "data exhausted").
  enum order : std::uint8_t { sequential, random, unique };
  std::string file;  // as resolved (relative to the scenario file)
  order ord = sequential;
  std::vector<std::string> columns;
  std::vector<unsigned> vars;  // vars[j]: the variable of columns[j]
  std::vector<std::vector<std::string>> rows;  // each of columns.size() fields
};

struct scenario {
  std::string file;      // where it was loaded from, for messages
  std::string base_url;  // "http://host:port" with an optional path prefix; may be empty when
                         // every step has an absolute URL
  std::vector<std::pair<std::string, std::string>> headers;  // sent with every step
  std::vector<flow> flows;
  std::optional<data_feed> data;
  std::vector<std::string> variables;  // indices: builtin_variable, then data, then captures
  std::vector<std::string> thresholds;  // as --threshold (may name a step: p99{step=login}<1s)
};

/// `--targets FILE`: each target is a flow of one step named "METHOD URL" (the report's
/// `targets` key; two targets with the same method and URL share one key), constant
/// templates, absolute URLs. Requests take the targets in turn or at random.
struct targets_list {
  enum order : std::uint8_t { round_robin, random };
  std::string file;
  std::vector<flow> targets;
  order ord = round_robin;
};

}  // namespace barrage::loadgen

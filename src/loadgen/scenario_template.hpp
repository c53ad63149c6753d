#pragma once
// {{name}} templates (loadgen/scenario.hpp's text_template): parsed and resolved once when a
// file is loaded; rendered per request by appending literal runs and variables' values to a
// buffer the worker reuses (no allocation beyond the buffer's growth).
//
// Syntax: "{{" name "}}" with optional spaces inside the braces; a name is a letter or '_'
// followed by letters, digits, '_', '-' or '.'. Any other text is literal, including a lone
// '{' or "}}". An unclosed "{{" or a bad name is an error.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "loadgen/scenario.hpp"

namespace barrage::loadgen {

/// A template before its names are resolved: literal text, or a variable's name.
struct template_piece {
  bool variable = false;
  std::string text;    // the literal, or the variable's name
  std::size_t offset;  // where the piece starts in the template's text
};

struct template_parse_error {
  std::size_t offset = 0;  // of the "{{" that opens the bad reference
  std::string message;
};

result<std::vector<template_piece>, template_parse_error> parse_template(std::string_view text);

/// The variable's index for a name, or nullopt (the caller's message says why).
using variable_resolver = std::function<std::optional<unsigned>(std::string_view name)>;

/// Parses and resolves: literal pieces merged, variables given `esc`. An unresolved name is
/// an error "undefined variable 'NAME'" at its offset (callers that know better say more
/// through their resolver's own check first).
result<text_template, template_parse_error> compile_template(std::string_view text,
                                                             template_part::escape esc,
                                                             const variable_resolver& resolve);

/// A template of literal text only.
text_template literal_template(std::string text);

/// The values a user renders from: one per variable (scenario::variables), and the state of
/// the generator of {{random_id}} values (splitmix64; null: vars[var_random_id] is used).
struct template_values {
  std::span<const std::string> vars;
  std::uint64_t* random_state = nullptr;
};

/// Appends the template's text with the values in place of the variables to `out`. A variable
/// index beyond `vars` renders as nothing.
void render(const text_template& t, const template_values& values, std::string& out);

/// Appends `value` escaped as the inside of a JSON string (RFC 8259: '"', '\\', controls).
void append_json_escaped(std::string_view value, std::string& out);

/// Appends a random id: 16 lower-case hex digits from splitmix64(state).
void append_random_id(std::uint64_t& state, std::string& out);

}  // namespace barrage::loadgen

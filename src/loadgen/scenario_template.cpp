#include "loadgen/scenario_template.hpp"

namespace barrage::loadgen {
namespace {

bool name_start(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool name_char(char c) noexcept {
  return name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

std::string_view trim_spaces(std::string_view s) noexcept {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

void add_literal(std::vector<template_part>& parts, std::string_view text) {
  if (text.empty()) return;
  if (!parts.empty() && parts.back().k == template_part::literal) {
    parts.back().text += text;
    return;
  }
  template_part p;
  p.text = std::string(text);
  parts.push_back(std::move(p));
}

}  // namespace

result<std::vector<template_piece>, template_parse_error> parse_template(std::string_view text) {
  std::vector<template_piece> pieces;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t open = text.find("{{", pos);
    while (open != std::string_view::npos && open + 2 < text.size() && text[open + 2] == '{') ++open;  // "{{{x}}": '{' then {{x}}
    if (open == std::string_view::npos) {
      pieces.push_back({false, std::string(text.substr(pos)), pos});
      break;
    }
    if (open > pos) pieces.push_back({false, std::string(text.substr(pos, open - pos)), pos});
    const std::size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos)
      return fail(template_parse_error{open, "unclosed '{{' (a variable is written {{name}})"});
    const std::string_view name = trim_spaces(text.substr(open + 2, close - open - 2));
    if (name.empty()) return fail(template_parse_error{open, "empty variable name in '{{}}'"});
    bool good = name_start(name.front());
    for (char c : name) good = good && name_char(c);
    if (!good)
      return fail(template_parse_error{
          open, "bad variable name '" + std::string(name) +
                    "' (a letter or '_', then letters, digits, '_', '-' or '.')"});
    pieces.push_back({true, std::string(name), open});
    pos = close + 2;
  }
  return pieces;
}

result<text_template, template_parse_error> compile_template(std::string_view text,
                                                             template_part::escape esc,
                                                             const variable_resolver& resolve) {
  auto pieces = parse_template(text);
  if (!pieces) return fail(pieces.error());
  text_template t;
  for (const auto& piece : *pieces) {
    if (!piece.variable) {
      add_literal(t.parts, piece.text);
      continue;
    }
    const auto var = resolve(piece.text);
    if (!var) return fail(template_parse_error{piece.offset, "undefined variable '" + piece.text + "'"});
    template_part p;
    p.k = template_part::variable;
    p.esc = esc;
    p.var = *var;
    t.parts.push_back(std::move(p));
  }
  return t;
}

text_template literal_template(std::string text) {
  text_template t;
  add_literal(t.parts, text);
  return t;
}

void append_json_escaped(std::string_view value, std::string& out) {
  static constexpr char hex[] = "0123456789abcdef";
  std::size_t run = 0;  // start of the bytes not yet appended
  for (std::size_t i = 0; i < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(value.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      default: {
        const char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        out.append(esc, sizeof esc);
      }
    }
  }
  out.append(value.data() + run, value.size() - run);
}

void append_random_id(std::uint64_t& state, std::string& out) {
  static constexpr char hex[] = "0123456789abcdef";
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  char digits[16];
  for (int i = 15; i >= 0; --i, z >>= 4) digits[i] = hex[z & 15];
  out.append(digits, sizeof digits);
}

void render(const text_template& t, const template_values& values, std::string& out) {
  for (const auto& p : t.parts) {
    if (p.k == template_part::literal) {
      out.append(p.text);
      continue;
    }
    if (p.var == var_random_id && values.random_state != nullptr) {
      append_random_id(*values.random_state, out);  // hex digits need no JSON escaping
      continue;
    }
    if (p.var >= values.vars.size()) continue;
    const std::string& v = values.vars[p.var];
    if (p.esc == template_part::json_string)
      append_json_escaped(v, out);
    else
      out.append(v);
  }
}

}  // namespace barrage::loadgen

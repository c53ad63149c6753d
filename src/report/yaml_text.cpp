#include "report/yaml_text.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

namespace barrage::report {
namespace {

using nlohmann::ordered_json;

// Words YAML 1.1 (which Kubernetes' YAML reader follows) takes for booleans and null.
constexpr std::array<std::string_view, 22> reserved_words{
    "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false",
    "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF"};

bool plain_char(char c, bool first) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '/') return true;
  return !first && ((c >= '0' && c <= '9') || c == '.' || c == '-');
}

// A string YAML reads back as that same string when written without quotes: a letter, '_' or
// '/' first, then letters, digits, '_', '/', '.', '-'; not a reserved word, null or "~".
bool plain_safe(std::string_view s) {
  if (s.empty() || !plain_char(s.front(), true)) return false;
  if (!std::all_of(s.begin() + 1, s.end(), [](char c) { return plain_char(c, false); })) return false;
  if (s == "null" || s == "Null" || s == "NULL") return false;
  return std::find(reserved_words.begin(), reserved_words.end(), s) == reserved_words.end();
}

std::string scalar(const ordered_json& v) {
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    return plain_safe(s) ? s : yaml_quoted(s);
  }
  return v.dump();  // numbers, booleans, null: the same text in JSON and YAML
}

bool inline_value(const ordered_json& v) { return v.is_primitive() || v.empty(); }

std::string inline_text(const ordered_json& v) {
  if (v.is_primitive()) return scalar(v);
  return v.is_object() ? "{}" : "[]";
}

void emit(const ordered_json& v, int indent, std::string& out);

// The entries of a mapping; the first at the current position when `continued` (after "- ").
void emit_object(const ordered_json& v, int indent, bool continued, std::string& out) {
  bool first = true;
  for (const auto& [key, value] : v.items()) {
    if (!(first && continued)) out.append(static_cast<std::size_t>(indent), ' ');
    first = false;
    out += plain_safe(key) ? key : yaml_quoted(key);
    if (inline_value(value)) {
      out += ": " + inline_text(value) + "\n";
    } else {
      out += ":\n";
      // A sequence under a key sits at the key's own indentation, as kubectl writes it.
      emit(value, value.is_array() ? indent : indent + 2, out);
    }
  }
}

void emit_array(const ordered_json& v, int indent, std::string& out) {
  for (const auto& item : v) {
    out.append(static_cast<std::size_t>(indent), ' ');
    if (inline_value(item)) {
      out += "- " + inline_text(item) + "\n";
    } else if (item.is_object()) {
      out += "- ";
      emit_object(item, indent + 2, true, out);
    } else {
      out += "-\n";
      emit(item, indent + 2, out);
    }
  }
}

void emit(const ordered_json& v, int indent, std::string& out) {
  if (v.is_object())
    emit_object(v, indent, false, out);
  else
    emit_array(v, indent, out);
}

void append_escape(unsigned code, std::string& out) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\u%04X", code);
  out += buf;
}

}  // namespace

std::string yaml_quoted(std::string_view text) {
  // JSON's escaping first (it also replaces invalid UTF-8), then what YAML adds to it: DEL,
  // the C1 controls and the Unicode line separators are not printable in YAML.
  const std::string json_text =
      ordered_json(std::string(text)).dump(-1, ' ', false, ordered_json::error_handler_t::replace);
  std::string out;
  out.reserve(json_text.size());
  for (std::size_t i = 0; i < json_text.size(); ++i) {
    const auto c = static_cast<unsigned char>(json_text[i]);
    const auto next = i + 1 < json_text.size() ? static_cast<unsigned char>(json_text[i + 1]) : 0u;
    const auto third = i + 2 < json_text.size() ? static_cast<unsigned char>(json_text[i + 2]) : 0u;
    if (c == 0x7f) {
      append_escape(0x7f, out);
    } else if (c == 0xc2 && next >= 0x80 && next <= 0x9f) {
      append_escape(next, out);
      i += 1;
    } else if (c == 0xe2 && next == 0x80 && (third == 0xa8 || third == 0xa9)) {
      append_escape(third == 0xa8 ? 0x2028 : 0x2029, out);
      i += 2;
    } else if (c == 0xef && next == 0xbb && third == 0xbf) {
      append_escape(0xfeff, out);
      i += 2;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string to_yaml(const ordered_json& value) {
  std::string out;
  if (inline_value(value))
    out = inline_text(value) + "\n";
  else
    emit(value, 0, out);
  return out;
}

std::string to_yaml_stream(std::span<const ordered_json> documents) {
  std::string out;
  for (const ordered_json& d : documents) out += "---\n" + to_yaml(d);
  return out;
}

}  // namespace barrage::report

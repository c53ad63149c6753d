#include "loadgen/scenario_csv.hpp"

namespace barrage::loadgen {
namespace {

/// Reads one record (a row, over several lines when a quoted field holds line breaks).
struct csv_reader {
  std::string_view text;
  const std::string& file;
  std::size_t pos = 0;
  unsigned line = 1;
  std::size_t line_start = 0;

  unsigned column() const { return static_cast<unsigned>(pos - line_start + 1); }
  void newline() {
    ++line;
    line_start = pos;
  }

  /// The fields of the next record; an empty vector for a blank line.
  result<std::vector<std::string>, source_error> record() {
    std::vector<std::string> fields;
    if (pos < text.size() && (text[pos] == '\n' || text[pos] == '\r')) {
      pos += text.compare(pos, 2, "\r\n") == 0 ? 2 : 1;
      newline();
      return fields;
    }
    for (;;) {
      std::string field;
      if (pos < text.size() && text[pos] == '"') {
        const unsigned open_line = line, open_column = column();
        ++pos;
        for (;;) {
          if (pos >= text.size())
            return fail(source_error{file, open_line, open_column, "unclosed quoted field"});
          const char c = text[pos++];
          if (c == '"') {
            if (pos < text.size() && text[pos] == '"') {
              field += '"';
              ++pos;
              continue;
            }
            break;
          }
          field += c;
          if (c == '\n') newline();
        }
        if (pos < text.size() && text[pos] != ',' && text[pos] != '\n' && text[pos] != '\r')
          return fail(source_error{file, line, column(), "text after a quoted field's closing quote"});
      } else {
        while (pos < text.size() && text[pos] != ',' && text[pos] != '\n' && text[pos] != '\r') {
          if (text[pos] == '"')
            return fail(source_error{file, line, column(), "a quote inside an unquoted field (quote the field and write \"\")"});
          field += text[pos++];
        }
      }
      fields.push_back(std::move(field));
      if (pos < text.size() && text[pos] == ',') {
        ++pos;
        continue;
      }
      if (pos < text.size()) {
        pos += text.compare(pos, 2, "\r\n") == 0 ? 2 : 1;
        newline();
      }
      return fields;
    }
  }
};

}  // namespace

result<csv_table, source_error> parse_csv(std::string_view text, const std::string& file) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  csv_reader in{text, file};
  csv_table table;
  while (in.pos < text.size()) {
    const unsigned line = in.line;
    auto fields = in.record();
    if (!fields) return fail(fields.error());
    if (fields->empty()) continue;
    if (table.columns.empty()) {
      for (const auto& name : *fields)
        if (name.empty()) return fail(source_error{file, line, 0, "an empty column name in the header row"});
      table.columns = std::move(*fields);
      continue;
    }
    if (fields->size() != table.columns.size())
      return fail(source_error{file, line, 0,
                               std::to_string(fields->size()) + " fields, the header row has " +
                                   std::to_string(table.columns.size())});
    table.rows.push_back(std::move(*fields));
  }
  if (table.columns.empty()) return fail(source_error{file, 0, 0, "empty data file (the first row names the columns)"});
  if (table.rows.empty()) return fail(source_error{file, 0, 0, "no rows after the header row"});
  return table;
}

}  // namespace barrage::loadgen

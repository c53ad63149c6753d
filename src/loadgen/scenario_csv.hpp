#pragma once
// The data files of scenarios (`data: users.csv`): CSV as RFC 4180 writes it. The first row
// names the columns; fields are separated by ','; a field in double quotes may hold ',', line
// breaks and "" (one quote); lines end in LF or CRLF; a UTF-8 byte order mark is skipped;
// blank lines are skipped. Every row has as many fields as the header.
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "loadgen/source_error.hpp"

namespace barrage::loadgen {

struct csv_table {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
};

/// `file` names the data file in errors ("users.csv:3:7: ...").
result<csv_table, source_error> parse_csv(std::string_view text, const std::string& file);

}  // namespace barrage::loadgen

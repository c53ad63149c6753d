#pragma once
// A usage error in a file the run reads (a scenario, a targets file, a data file): where it is
// and what is wrong, as one line "FILE:LINE:COLUMN: message" (the column left out when 0).
#include <string>

namespace barrage::loadgen {

struct source_error {
  std::string file;
  unsigned line = 0;    // from 1; 0: the file as a whole
  unsigned column = 0;  // from 1; 0: the line as a whole
  std::string message;

  std::string to_string() const {
    std::string s = file;
    if (line != 0) s += ':' + std::to_string(line);
    if (line != 0 && column != 0) s += ':' + std::to_string(column);
    return s + ": " + message;
  }
};

}  // namespace barrage::loadgen

#pragma once
// Running another program (kubectl; barrage's own merge) from a command and reading what it
// prints.
#include <string>
#include <vector>

#include "base/result.hpp"

namespace barrage::apps {

struct program_output {
  int status = 0;  // the exit status; 128 + N when killed by signal N
  std::string out, err;
};

/// Runs argv[0] (looked up on PATH) with stdin from /dev/null; collects stdout and stderr.
/// Errors (one line): the program is not found or cannot be started.
result<program_output, std::string> run_program(const std::vector<std::string>& argv);

/// Runs argv[0] with this process's stdin, stdout and stderr; returns its exit status.
result<int, std::string> run_program_attached(const std::vector<std::string>& argv);

}  // namespace barrage::apps

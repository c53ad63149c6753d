#pragma once
// Writing the HTML report (src/report/html_report.hpp), for `barrage URL --html FILE` and
// `barrage report RUN.json -o FILE`, and the comparison page of `barrage compare --html FILE`.
#include <string>

#include <nlohmann/json.hpp>

namespace barrage::apps {

/// The page of `doc` (a JSON report) into `path` ("-": stdout). False, with one line on
/// stderr ("<command>: cannot write ..."), when it cannot be written.
bool write_html_report(const nlohmann::json& doc, const std::string& path, const char* command);
/// A rendered page (the comparison's) into `path`, as write_html_report.
bool write_html_page(const std::string& page, const std::string& path, const char* command);

/// True when `path` can be created or truncated (checked before a run, not after it);
/// otherwise one line on stderr.
bool html_path_writable(const std::string& path, const char* command);

}  // namespace barrage::apps

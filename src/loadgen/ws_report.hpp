#pragma once
// The `websocket` sections of the reports (ws:// and wss:// runs): in the text report they
// stand in place of the HTTP request sections; in the JSON report they are the optional
// top-level `websocket` object (docs/report.md, "WebSocket"; docs/report.schema.json).
#include <nlohmann/json.hpp>
#include <string>

#include "loadgen/run_result.hpp"

namespace barrage::loadgen {

/// The text sections, each starting with a blank line and a heading (bold with `colour`).
std::string ws_text(const run_result& r, bool colour);
/// The JSON object.
nlohmann::json ws_json(const run_result& r);

}  // namespace barrage::loadgen

#include "loadgen/scenario_file.hpp"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <strings.h>

#include "http/url.hpp"
#include "loadgen/scenario_csv.hpp"
#include "loadgen/scenario_node.hpp"
#include "loadgen/targets_file.hpp"
#include "loadgen/threshold.hpp"

namespace barrage::loadgen {
namespace {

using namespace scenario_doc;

const std::initializer_list<std::string_view> top_keys = {"base_url", "headers", "data", "flows", "steps", "thresholds"};
const std::initializer_list<std::string_view> flow_keys = {"name", "weight", "steps"};
const std::initializer_list<std::string_view> step_keys = {"name", "method", "path", "url", "headers", "body",
                                                               "capture", "expect", "think"};
constexpr const char* builtin_names[] = {"user", "counter", "random_id", "iteration"};

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alnum && std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos) return false;
  }
  return true;
}

bool is_variable_name(std::string_view s) {
  auto pieces = parse_template("{{" + std::string(s) + "}}");
  return pieces.ok() && pieces->size() == 1 && (*pieces)[0].variable && (*pieces)[0].text == s;
}

/// Where a capture is made: for "used before it is captured" messages.
struct capture_site {
  unsigned flow = 0;
  unsigned step = 0;
  std::string step_name;
  std::string flow_name;
};

class compiler {
 public:
  compiler(std::string file, const scenario_file_reader& read) : read_(read) { sc_.file = std::move(file); }

  scenario run(const YAML::Node& root) {
    if (!root || root.IsNull()) throw scenario_fault{0, 0, "empty scenario file (it needs flows or steps)"};
    check_keys(root, "the scenario", top_keys);
    for (const char* b : builtin_names) add_variable(b);
    if (root["base_url"]) base_url(root["base_url"]);
    if (root["headers"]) default_headers(root["headers"]);
    if (root["data"]) data(root["data"]);
    const bool has_flows = static_cast<bool>(root["flows"]), has_steps = static_cast<bool>(root["steps"]);
    if (has_flows && has_steps) fault_at(root["steps"], "a scenario has flows or steps (one flow), not both");
    if (!has_flows && !has_steps) fault_at(root, "a scenario needs flows (or steps: one flow)");
    std::vector<YAML::Node> flow_nodes;
    if (has_flows) {
      const YAML::Node flows = root["flows"];
      if (!flows.IsSequence() || flows.size() == 0) fault_at(flows, "flows is a list of at least one flow");
      for (const auto& f : flows) flow_nodes.push_back(f);
    }
    collect_captures(has_flows ? flow_nodes : std::vector<YAML::Node>{}, has_steps ? root["steps"] : YAML::Node());
    if (has_flows)
      for (unsigned i = 0; i < flow_nodes.size(); ++i) sc_.flows.push_back(compile_flow(flow_nodes[i], i));
    else
      sc_.flows.push_back(compile_steps(root["steps"], "default", 0));
    if (root["thresholds"]) thresholds(root["thresholds"]);
    return std::move(sc_);
  }

 private:
  unsigned add_variable(const std::string& name) {
    auto [it, fresh] = index_.emplace(name, static_cast<unsigned>(sc_.variables.size()));
    if (fresh) sc_.variables.push_back(name);
    return it->second;
  }

  void base_url(const YAML::Node& n) {
    std::string url = text(n, "base_url");
    const auto parsed = http::parse_url(url);
    if (!parsed) fault_at(n, "base_url: bad URL '" + url + "': " + http::to_string(parsed.error()));
    if (!parsed->query.empty() || url.find('?') != std::string::npos)
      fault_at(n, "base_url: no query ('?') in a base URL: the steps' paths follow it");
    while (!url.empty() && url.back() == '/') url.pop_back();
    sc_.base_url = std::move(url);
  }

  void default_headers(const YAML::Node& n) {
    if (!n.IsMap()) fault_at(n, "headers is a mapping of names to values");
    for (auto it = n.begin(); it != n.end(); ++it) {
      const std::string name = text(it->first, "a header name");
      if (!is_token(name)) fault_at(it->first, "bad header name '" + name + "'");
      for (const auto& [have, unused] : sc_.headers)
        if (strcasecmp(have.c_str(), name.c_str()) == 0) fault_at(it->first, "duplicate header '" + name + "'");
      sc_.headers.emplace_back(name, text(it->second, "header '" + name + "'"));
      default_header_nodes_.push_back(it->second);
    }
  }

  void data(const YAML::Node& n) {
    data_feed feed;
    if (n.IsMap()) {
      check_keys(n, "data", {"file", "order"});
      if (!n["file"]) fault_at(n, "data: needs file (a CSV file with a header row)");
      if (n["order"]) {
        const std::string order = text(n["order"], "data: order");
        if (order == "sequential") feed.ord = data_feed::sequential;
        else if (order == "random") feed.ord = data_feed::random;
        else if (order == "unique") feed.ord = data_feed::unique;
        else fault_at(n["order"], "data: unknown order '" + order + "' (sequential, random, unique)");
      }
    }
    const YAML::Node file_node = n.IsMap() ? n["file"] : n;
    feed.file = text(file_node, "data: file");
    auto content = read_(feed.file);
    if (!content) fault_at(file_node, "data: " + content.error());
    auto table = parse_csv(*content, feed.file);
    if (!table) throw table.error();
    for (const auto& column : table->columns) {
      if (!is_variable_name(column))
        fault_at(file_node, "data: column '" + column + "' of " + feed.file +
                                " is not a variable name (a letter or '_', then letters, digits, '_', '-' or '.')");
      if (index_.count(column) != 0)
        fault_at(file_node, "data: column '" + column + "' of " + feed.file + " repeats a column or a built-in variable");
      feed.vars.push_back(add_variable(column));
    }
    data_columns_ = index_.size();
    feed.columns = std::move(table->columns);
    feed.rows = std::move(table->rows);
    sc_.data = std::move(feed);
  }

  void collect_step_captures(const YAML::Node& steps, unsigned flow, const std::string& flow_name) {
    if (!steps.IsSequence()) return;  // compile_flow says what is wrong
    for (unsigned i = 0; i < steps.size(); ++i) {
      const YAML::Node s = steps[i];
      if (!s.IsMap() || !s["capture"] || !s["capture"].IsMap()) continue;
      const std::string step_name = s["name"] && s["name"].IsScalar() ? s["name"].Scalar() : "";
      for (auto it = s["capture"].begin(); it != s["capture"].end(); ++it) {
        const std::string name = text(it->first, "a capture's name");
        if (!is_variable_name(name))
          fault_at(it->first, "capture: '" + name + "' is not a variable name (a letter or '_', then letters, digits, '_', '-' or '.')");
        for (const char* b : builtin_names)
          if (name == b) fault_at(it->first, "capture: '" + name + "' is a built-in variable");
        add_variable(name);
        sites_[name].push_back({flow, i, step_name, flow_name});
      }
    }
  }

  void collect_captures(const std::vector<YAML::Node>& flows, const YAML::Node& steps) {
    if (steps) collect_step_captures(steps, 0, "default");
    for (unsigned f = 0; f < flows.size(); ++f) {
      if (!flows[f].IsMap() || !flows[f]["steps"]) continue;
      const std::string name = flows[f]["name"] && flows[f]["name"].IsScalar() ? flows[f]["name"].Scalar()
                                                                             : "flow" + std::to_string(f + 1);
      collect_step_captures(flows[f]["steps"], f, name);
    }
  }

  flow compile_flow(const YAML::Node& n, unsigned index) {
    check_keys(n, "a flow", flow_keys);
    std::string name = n["name"] ? text(n["name"], "a flow's name") : "flow" + std::to_string(index + 1);
    if (name.empty()) fault_at(n["name"], "a flow's name is not empty");
    for (const auto& f : sc_.flows)
      if (f.name == name) fault_at(n["name"] ? n["name"] : n, "duplicate flow name '" + name + "'");
    if (!n["steps"]) fault_at(n, "flow '" + name + "' needs steps");
    flow f = compile_steps(n["steps"], name, index);
    if (n["weight"]) f.weight = positive_number(n["weight"], "weight");
    return f;
  }

  flow compile_steps(const YAML::Node& steps, const std::string& name, unsigned index) {
    if (!steps.IsSequence() || steps.size() == 0) fault_at(steps, "steps is a list of at least one step");
    flow f;
    f.name = name;
    std::set<std::string> captured;  // by the steps before the one compiled
    for (unsigned i = 0; i < steps.size(); ++i) f.steps.push_back(compile_step(steps[i], f.name, index, i, captured));
    return f;
  }

  /// The lookup of a step's templates: built-ins, data columns, and what the flow's earlier
  /// steps capture.
  name_lookup lookup_for(const std::string& flow_name, unsigned flow, unsigned step, const std::set<std::string>& captured) {
    return [this, flow_name, flow, step, &captured](std::string_view name) -> result<unsigned, std::string> {
      const std::string key(name);
      auto it = index_.find(key);
      if (it == index_.end()) return fail("undefined variable '" + key + "' (not a data column, a capture or a built-in)");
      if (it->second < data_columns_ || captured.count(key) != 0) return it->second;
      for (const auto& site : sites_[key])
        if (site.flow == flow)
          return fail("variable '" + key + "' is used before step '" + site.step_name + "' captures it" +
                      (site.step == step ? " (a step's captures are for the steps after it)" : ""));
      return fail("variable '" + key + "' is captured only in flow '" + sites_[key].front().flow_name +
                  "', not in flow '" + flow_name + "'");
    };
  }

  step compile_step(const YAML::Node& n, const std::string& flow_name, unsigned flow, unsigned index,
                    std::set<std::string>& captured) {
    check_keys(n, "a step", step_keys);
    step s;
    if (!n["name"]) fault_at(n, "a step needs a name (the report's key for its results)");
    s.name = text(n["name"], "a step's name");
    if (s.name.empty()) fault_at(n["name"], "a step's name is not empty");
    if (auto [it, fresh] = step_lines_.emplace(s.name, n["name"].Mark().line + 1); !fresh)
      fault_at(n["name"], "duplicate step name '" + s.name + "' (also at line " + std::to_string(it->second) + ")");
    const name_lookup lookup = lookup_for(flow_name, flow, index, captured);
    s.method = n["method"] ? text(n["method"], "method") : "GET";
    if (!is_token(s.method)) fault_at(n["method"], "bad method '" + s.method + "'");
    target(n, s, lookup);
    headers(n, s, lookup);
    if (n["body"]) body(n["body"], s, lookup);
    if (n["capture"]) captures(n["capture"], s);
    if (n["expect"]) expect(n["expect"], s);
    if (n["think"]) s.think = think(n["think"]);
    for (const auto& c : s.captures) captured.insert(c.name);
    return s;
  }

  void target(const YAML::Node& n, step& s, const name_lookup& lookup) {
    if (n["path"] && n["url"]) fault_at(n["url"], "a step has a path or a url, not both");
    if (!n["path"] && !n["url"]) fault_at(n, "step '" + s.name + "' needs a path (after base_url) or a url");
    if (n["path"]) {
      const std::string path = text(n["path"], "path");
      if (path.empty() || path.front() != '/') fault_at(n["path"], "path: '" + path + "' does not start with '/'");
      if (sc_.base_url.empty()) fault_at(n["path"], "path: the scenario has no base_url (give one, or a url)");
      s.target = compile(n["path"], "path", template_part::raw, lookup);
      return;
    }
    // The origin (scheme, host, port) is literal: each is resolved and connected to as such.
    const std::string url = text(n["url"], "url");
    const std::size_t first_var = url.find("{{");
    const std::string literal = url.substr(0, first_var);
    const std::size_t scheme_end = literal.find("://");
    const bool origin_literal = scheme_end != std::string::npos &&
                                literal.find_first_of("/?", scheme_end + 3) != std::string::npos;
    if (first_var != std::string::npos && !origin_literal)
      fault_at(mark_at(n["url"], first_var), "url: the scheme, host and port of '" + url +
                                                 "' are literal (variables go in the path or query)");
    const auto parsed = http::parse_url(first_var == std::string::npos ? url : literal);
    if (!parsed) fault_at(n["url"], "url: bad URL '" + url + "': " + http::to_string(parsed.error()));
    s.target = compile(n["url"], "url", template_part::raw, lookup);
    s.absolute = true;
  }

  void headers(const YAML::Node& n, step& s, const name_lookup& lookup) {
    std::vector<std::pair<std::string, text_template>> own;
    if (n["headers"]) {
      const YAML::Node h = n["headers"];
      if (!h.IsMap()) fault_at(h, "headers is a mapping of names to values");
      for (auto it = h.begin(); it != h.end(); ++it) {
        const std::string name = text(it->first, "a header name");
        if (!is_token(name)) fault_at(it->first, "bad header name '" + name + "'");
        for (const auto& [have, unused] : own)
          if (strcasecmp(have.c_str(), name.c_str()) == 0) fault_at(it->first, "duplicate header '" + name + "'");
        own.emplace_back(name, compile(it->second, "header '" + name + "'", template_part::raw, lookup));
      }
    }
    for (std::size_t i = 0; i < sc_.headers.size(); ++i) {
      bool replaced = false;
      for (const auto& [name, unused] : own) replaced = replaced || strcasecmp(name.c_str(), sc_.headers[i].first.c_str()) == 0;
      if (!replaced)
        s.headers.emplace_back(sc_.headers[i].first, compile(default_header_nodes_[i], "header '" + sc_.headers[i].first + "'",
                                                             template_part::raw, lookup));
    }
    for (auto& h : own) s.headers.push_back(std::move(h));
  }

  void body(const YAML::Node& n, step& s, const name_lookup& lookup) {
    if (n.IsScalar()) {
      s.body = compile(n, "body", template_part::raw, lookup);
      return;
    }
    check_keys(n, "body", {"text", "file", "json"});
    if (n.size() != 1) fault_at(n, "body has one of text, file, json");
    if (n["text"]) s.body = compile(n["text"], "body", template_part::raw, lookup);
    if (n["file"]) {
      const std::string path = text(n["file"], "body: file");
      auto content = read_(path);
      if (!content) fault_at(n["file"], "body: " + content.error());
      s.body = literal_template(std::move(*content));
    }
    if (n["json"]) {
      s.body = json_body(n["json"], lookup);
      bool typed = false;
      for (const auto& [name, unused] : s.headers) typed = typed || strcasecmp(name.c_str(), "Content-Type") == 0;
      if (!typed) s.headers.emplace_back("Content-Type", literal_template("application/json"));
    }
  }

  void captures(const YAML::Node& n, step& s) {
    if (!n.IsMap()) fault_at(n, "capture is a mapping of variable names to {json: POINTER}, {header: NAME} or status");
    for (auto it = n.begin(); it != n.end(); ++it) {
      capture c;
      c.name = it->first.Scalar();
      for (const auto& have : s.captures)
        if (have.name == c.name) fault_at(it->first, "duplicate capture '" + c.name + "'");
      c.var = add_variable(c.name);
      const YAML::Node spec = it->second;
      if (spec.IsScalar() && spec.Scalar() == "status") {
        c.source = capture::status;
      } else {
        check_keys(spec, "a capture", {"json", "header"});
        if (spec.size() != 1) fault_at(spec, "a capture has one of json, header (or is: status)");
        if (spec["json"]) {
          c.source = capture::json_pointer;
          c.where = text(spec["json"], "capture: json");
          try {
            (void)nlohmann::json::json_pointer(c.where);
          } catch (const nlohmann::json::exception&) {
            fault_at(spec["json"], "capture: bad JSON pointer '" + c.where +
                                       "' (RFC 6901: empty, or '/' before each token; '~' only as ~0 or ~1)");
          }
        } else {
          c.source = capture::header;
          c.where = text(spec["header"], "capture: header");
          if (!is_token(c.where)) fault_at(spec["header"], "capture: bad header name '" + c.where + "'");
        }
      }
      s.captures.push_back(std::move(c));
    }
  }

  void expect(const YAML::Node& n, step& s) {
    check_keys(n, "expect", {"status", "captures"});
    if (n["status"]) s.expect.statuses = statuses(n["status"]);
    if (!n["captures"]) return;
    const YAML::Node list = n["captures"];
    if (!list.IsSequence()) fault_at(list, "expect: captures is a list of this step's capture names");
    for (const auto& c : list) {
      const std::string name = text(c, "expect: a capture's name");
      const capture* found = nullptr;
      for (const auto& have : s.captures) found = have.name == name ? &have : found;
      if (found == nullptr) fault_at(c, "expect: '" + name + "' is not captured by step '" + s.name + "'");
      s.expect.must_capture.push_back(found->var);
    }
  }

  void thresholds(const YAML::Node& n) {
    std::vector<YAML::Node> items;
    if (n.IsSequence())
      for (const auto& t : n) items.push_back(t);
    else
      items.push_back(n);
    for (const auto& t : items) {
      std::string expr = text(t, "a threshold");
      std::string plain = expr;  // without the step selector, for the --threshold parser
      const std::size_t open = expr.find('{'), close = expr.find('}');
      if (open != std::string::npos && close != std::string::npos && close > open) {
        std::string kept;
        std::string_view selectors = std::string_view(expr).substr(open + 1, close - open - 1);
        while (!selectors.empty()) {
          const std::size_t comma = std::min(selectors.find(','), selectors.size());
          const std::string_view sel = selectors.substr(0, comma);
          selectors.remove_prefix(std::min(comma + 1, selectors.size()));
          if (sel.substr(0, 5) == "step=") {
            const std::string name(sel.substr(5));
            if (step_lines_.count(name) == 0) fault_at(t, "threshold '" + expr + "' names no step of the scenario ('" + name + "')");
            continue;
          }
          kept += (kept.empty() ? "" : ",") + std::string(sel);
        }
        plain = expr.substr(0, open) + (kept.empty() ? "" : "{" + kept + "}") + expr.substr(close + 1);
      }
      auto parsed = parse_threshold(plain);
      if (!parsed) fault_at(t, "threshold '" + expr + "': " + parsed.error());
      sc_.thresholds.push_back(expr);
    }
  }

  const scenario_file_reader& read_;
  scenario sc_;
  std::map<std::string, unsigned> index_;
  std::size_t data_columns_ = builtin_variable_count;  // variables below this index: always defined
  std::map<std::string, std::vector<capture_site>> sites_;
  std::map<std::string, int> step_lines_;
  std::vector<YAML::Node> default_header_nodes_;
};

/// nlohmann-json's syntax check of a JSON scenario: its error at line and column.
std::optional<source_error> check_json_syntax(std::string_view text, const std::string& file) {
  try {
    const auto parsed = nlohmann::json::parse(text);
    (void)parsed;
    return std::nullopt;
  } catch (const nlohmann::json::parse_error& e) {
    const std::size_t at = std::min<std::size_t>(e.byte == 0 ? 0 : e.byte - 1, text.size());
    const std::string_view before = text.substr(0, at);
    const unsigned line = 1 + static_cast<unsigned>(std::count(before.begin(), before.end(), '\n'));
    const std::size_t nl = before.rfind('\n');
    const unsigned column = static_cast<unsigned>(nl == std::string_view::npos ? at + 1 : at - nl);
    std::string what = e.what();
    const std::size_t syntax = what.find("syntax error");
    return source_error{file, line, column, "bad JSON: " + (syntax == std::string::npos ? what : what.substr(syntax))};
  } catch (const nlohmann::json::exception& e) {  // a number beyond a double: at that number
    std::string what = e.what();
    what.erase(0, what.find("] ") == std::string::npos ? 0 : what.find("] ") + 2);
    const std::size_t quote = what.find('\''), end = what.rfind('\'');
    const std::size_t at = quote < end ? text.find(what.substr(quote + 1, end - quote - 1)) : std::string_view::npos;
    if (at == std::string_view::npos) return source_error{file, 0, 0, "bad JSON: " + what};
    const std::string_view before = text.substr(0, at);
    const std::size_t nl = before.rfind('\n');
    return source_error{file, 1 + static_cast<unsigned>(std::count(before.begin(), before.end(), '\n')),
                        static_cast<unsigned>(nl == std::string_view::npos ? at + 1 : at - nl), "bad JSON: " + what};
  }
}

}  // namespace

result<scenario, source_error> parse_scenario(std::string_view text, const std::string& file,
                                              scenario_syntax syntax, const scenario_file_reader& read) {
  if (syntax == scenario_syntax::json)
    if (auto bad = check_json_syntax(text, file)) return fail(std::move(*bad));
  try {
    const YAML::Node root = YAML::Load(std::string(text));
    return compiler(file, read).run(root);
  } catch (const scenario_fault& f) {
    return fail(source_error{file, f.line, f.column, f.message});
  } catch (const source_error& e) {  // a data file's own fault
    return fail(e);
  } catch (const YAML::Exception& e) {
    return fail(source_error{file, e.mark.line < 0 ? 0u : static_cast<unsigned>(e.mark.line) + 1,
                             e.mark.column < 0 ? 0u : static_cast<unsigned>(e.mark.column) + 1, "bad YAML: " + e.msg});
  }
}

result<scenario, source_error> load_scenario_file(const std::string& file) {
  auto text = read_whole_file(file);
  if (!text) return fail(source_error{file, 0, 0, text.error()});
  const std::size_t slash = file.rfind('/');
  const std::string dir = slash == std::string::npos ? std::string() : file.substr(0, slash + 1);
  auto read = [&](const std::string& path) {
    return read_whole_file(!path.empty() && path.front() == '/' ? path : dir + path);
  };
  const bool json = file.size() >= 5 && file.compare(file.size() - 5, 5, ".json") == 0;
  auto sc = parse_scenario(*text, file, json ? scenario_syntax::json : scenario_syntax::yaml, read);
  if (sc && sc->data && sc->data->file.front() != '/') sc.value().data->file = dir + sc->data->file;
  return sc;
}

bool names_scenario_file(std::string_view argument) noexcept {
  if (argument.find("://") != std::string_view::npos) return false;
  for (std::string_view ext : {".yaml", ".yml", ".json"})
    if (argument.size() > ext.size() && argument.substr(argument.size() - ext.size()) == ext) return true;
  return false;
}

}  // namespace barrage::loadgen

#include "report/k8s_args.hpp"

#include <algorithm>

namespace barrage::report {
namespace {

std::string escape_dollars(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '$') out += '$';
    out += c;
  }
  return out;
}

// SECRET-NAME -> SECRET_NAME: what an environment variable and a Secret key may both hold.
std::string key_part(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    out += (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ? c : '_';
  }
  return out;
}

std::string_view trim_front(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  return v;
}

// Which value an argument carries, for the options whose values are rewritten.
enum class carried { none, header, body, file };

struct file_option {
  std::string_view name, key;
  bool secret;
};
constexpr file_option file_options[] = {
    {"--body-file", "body", true},
    {"--key", "client-key.pem", true},
    {"--cert", "client-cert.pem", false},
    {"--cacert", "ca.pem", false},
};

class mover {
 public:
  mover(std::string_view url, const loadgen::redaction_policy& policy) : url_(url), policy_(policy) {}

  // `token` is the whole argument; `value` the part of it that is the option's value.
  std::string rewrite(carried kind, std::string_view token, std::string_view value, const file_option* file) {
    const std::string prefix = escape_dollars(token.substr(0, token.size() - value.size()));
    switch (kind) {
      case carried::header: return prefix + header(value);
      case carried::body: return prefix + (value.empty() ? std::string() : ref("BARRAGE_BODY", value));
      case carried::file: return prefix + file_path(*file, value);
      case carried::none: break;
    }
    return token == url_ ? url(token) : escape_dollars(token);
  }

  k8s_args take(std::vector<std::string> args) { return {std::move(args), std::move(env_), std::move(files_)}; }

 private:
  std::string ref(const std::string& base, std::string_view value) {
    std::string key = base;
    for (int n = 2;; ++n) {
      auto same = std::find_if(env_.begin(), env_.end(), [&](const k8s_secret_value& e) { return e.key == key; });
      if (same == env_.end()) {
        env_.push_back({key, std::string(value)});
        break;
      }
      if (same->value == value) break;
      key = base + "_" + std::to_string(n);
    }
    return "$(" + key + ")";
  }

  std::string header(std::string_view line) {
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || !policy_.secret_header(line.substr(0, colon))) return escape_dollars(line);
    const std::string_view value = trim_front(line.substr(colon + 1));
    if (value.empty()) return escape_dollars(line);
    const std::string_view head = line.substr(0, line.size() - value.size());
    return escape_dollars(head) + ref("BARRAGE_HEADER_" + key_part(line.substr(0, colon)), value);
  }

  std::string url(std::string_view u) {
    std::string out;
    std::size_t copied = 0;
    for (const loadgen::url_secret& s : loadgen::url_secrets(u)) {
      if (s.size == 0) continue;
      out += escape_dollars(u.substr(copied, s.offset - copied));
      const std::string base = s.name == "password" && u.substr(0, s.offset).find('?') == std::string_view::npos
                                   ? "BARRAGE_URL_PASSWORD"
                                   : "BARRAGE_QUERY_" + key_part(s.name);
      out += ref(base, u.substr(s.offset, s.size));
      copied = s.offset + s.size;
    }
    return out + escape_dollars(u.substr(copied));
  }

  std::string file_path(const file_option& option, std::string_view local) {
    k8s_file f{std::string(option.name), std::string(local), std::string(option.key), option.secret, {}};
    std::string path = k8s_mount_path(f);
    auto same = std::find_if(files_.begin(), files_.end(), [&](const k8s_file& g) { return g.key == f.key; });
    if (same == files_.end())
      files_.push_back(std::move(f));
    else  // given twice: the last one counts, as for every option
      same->local_path = std::string(local);
    return escape_dollars(path);
  }

  std::string_view url_;
  const loadgen::redaction_policy& policy_;
  std::vector<k8s_secret_value> env_;
  std::vector<k8s_file> files_;
};

// The option `token` is and where its value is: in the token itself ("--header=v", "-Hv"),
// or in the next one (returns an empty value and `next` = true).
struct option_match {
  carried kind = carried::none;
  const file_option* file = nullptr;
  bool next = false;
  std::string_view value;
};

option_match match_option(std::string_view token) {
  auto match = [&](std::string_view longname, char shortname, carried kind, const file_option* f) -> option_match {
    if (token == longname || (shortname && token.size() == 2 && token[0] == '-' && token[1] == shortname))
      return {kind, f, true, {}};
    if (token.size() > longname.size() && token.substr(0, longname.size()) == longname && token[longname.size()] == '=')
      return {kind, f, false, token.substr(longname.size() + 1)};
    if (shortname && token.size() > 2 && token[0] == '-' && token[1] == shortname) return {kind, f, false, token.substr(2)};
    return {};
  };
  for (const auto& m : {match("--header", 'H', carried::header, nullptr), match("--body", 'b', carried::body, nullptr)})
    if (m.kind != carried::none) return m;
  for (const file_option& f : file_options)
    if (auto m = match(f.name, 0, carried::file, &f); m.kind != carried::none) return m;
  return {};
}

}  // namespace

std::string k8s_mount_path(const k8s_file& f) {
  return (f.secret ? "/etc/barrage/secret/" : "/etc/barrage/files/") + f.key;
}

k8s_args move_secrets_off(std::span<const std::string> args, std::string_view url,
                          const loadgen::redaction_policy& policy) {
  mover m(url, policy);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& token = args[i];
    if (token == "--") {  // the rest is positional: only the URL can be among it
      for (++i, out.push_back("--"); i < args.size(); ++i) out.push_back(m.rewrite(carried::none, args[i], {}, nullptr));
      break;
    }
    const option_match o = match_option(token);
    if (o.kind == carried::none) {
      out.push_back(m.rewrite(carried::none, token, {}, nullptr));
    } else if (!o.next) {
      out.push_back(m.rewrite(o.kind, token, o.value, o.file));
    } else {
      out.push_back(escape_dollars(token));
      if (i + 1 < args.size()) {
        ++i;
        out.push_back(m.rewrite(o.kind, args[i], args[i], o.file));
      }
    }
  }
  return m.take(std::move(out));
}

std::string k8s_expand(std::string_view arg,
                       const std::function<std::optional<std::string>(std::string_view)>& lookup) {
  std::string out;
  for (std::size_t i = 0; i < arg.size(); ++i) {
    if (arg[i] != '$' || i + 1 == arg.size()) {
      out += arg[i];
      continue;
    }
    if (arg[i + 1] == '$') {
      out += '$';
      ++i;
    } else if (arg[i + 1] == '(' && arg.find(')', i + 2) != std::string_view::npos) {
      const std::size_t close = arg.find(')', i + 2);
      const std::string_view name = arg.substr(i + 2, close - i - 2);
      const auto value = lookup(name);
      out += value ? *value : std::string(arg.substr(i, close - i + 1));
      i = close;
    } else {
      out += '$';
    }
  }
  return out;
}

std::vector<secret_slot> secret_slots(const loadgen::run_options& o, const loadgen::redaction_policy& policy) {
  std::vector<secret_slot> slots;
  for (const std::string& line : o.headers) {
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos || !policy.secret_header(std::string_view(line).substr(0, colon))) continue;
    const std::string_view value = trim_front(std::string_view(line).substr(colon + 1));
    if (!value.empty()) slots.push_back({"-H " + line.substr(0, colon), std::string(value)});
  }
  for (const loadgen::url_secret& s : loadgen::url_secrets(o.url)) {
    if (s.size == 0) continue;
    const bool password = s.name == "password" && o.url.substr(0, s.offset).find('?') == std::string::npos;
    slots.push_back({password ? "the URL's password" : "query parameter " + s.name, o.url.substr(s.offset, s.size)});
  }
  if (o.body && !o.body->empty()) slots.push_back({"-b", *o.body});
  return slots;
}

}  // namespace barrage::report

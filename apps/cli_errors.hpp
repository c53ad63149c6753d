#pragma once
// Shared by the commands: options taken as text (parsed by the library's tested functions),
// and usage errors as one line on stderr with exit status 2.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <optional>
#include <string>

namespace barrage::apps {

/// Exit status for a bad command line, in every command (loadgen::exit_usage_error).
inline constexpr int usage_exit_status = 2;

/// An option whose text goes to `into` as typed: a library function parses it, so that "-1"
/// or "10x" gets one clear line instead of CLI11's conversion error.
inline CLI::Option* text_option(CLI::App& app, const std::string& names, std::optional<std::string>& into,
                                const std::string& help) {
  return app.add_option_function<std::string>(names, [&into](const std::string& v) { into = v; }, help)
      ->type_name("TEXT")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);  // as in curl: the last one counts
}

/// `text` with line breaks and other control bytes as spaces: CLI11's messages may span lines.
inline std::string one_line(std::string text) {
  for (char& c : text)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

/// Prints "<command>: <message>" and returns the usage exit status.
inline int usage_error(const char* command, const std::string& message) {
  std::fprintf(stderr, "%s: %s\n", command, one_line(message).c_str());
  return usage_exit_status;
}

/// Parses the command line. Nothing when the command goes on; otherwise its exit status: 0
/// after --help printed the help, 2 after one usage line on stderr.
inline std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv, const char* command) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return usage_error(command, e.what());
  }
  return std::nullopt;
}

}  // namespace barrage::apps

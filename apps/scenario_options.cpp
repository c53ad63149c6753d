#include "apps/scenario_options.hpp"

#include "apps/cli_errors.hpp"

namespace barrage::apps {

void add_scenario_options(CLI::App& app, loadgen::scenario_options& o) {
  if (CLI::Option* url = app.get_option_no_throw("url"))
    url->required(false)->description(
        "Target URL, http[s]://[user:password@]host[:port][/path][?query] (user information: sent as "
        "Authorization: Basic); or a scenario file FILE.yaml|FILE.yml|FILE.json (flows of named steps, "
        "docs/scenarios.md)");
  text_option(app, "--targets", o.targets,
              "Requests from FILE instead of URL: vegeta's format (\"METHOD URL\", header lines, @body-file, a blank "
              "line between targets) or JSON lines ({\"method\", \"url\", \"header\", \"body\": base64})")
      ->type_name("FILE");
  text_option(app, "--targets-order", o.targets_order,
              "How requests take the --targets: round-robin (the default) or random")
      ->type_name("ORDER");
  text_option(app, "--iterations", o.iterations,
              "With a scenario or --targets: each virtual user runs its flow K times, then stops")
      ->type_name("K");
}

}  // namespace barrage::apps

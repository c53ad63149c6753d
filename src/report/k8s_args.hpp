#pragma once
// The container command line of `barrage k8s`: the run's own arguments, with every secret
// taken off it (issue 24: manifests never hold a credential) and every local file replaced by
// the path the pod mounts it at.
//
// A secret (the value of a credential-bearing -H, per loadgen/redact.hpp; the password of
// the URL's user information; the value of a secret query parameter; the -b body) becomes an
// environment variable from the Kubernetes Secret, referenced as $(KEY) in the argument:
// Kubernetes expands $(KEY) in a container's args before the program starts, so barrage in
// the pod receives exactly the argument that was typed. Every '$' of the rest is written as
// "$$", which Kubernetes turns back into '$'.
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "loadgen/redact.hpp"
#include "loadgen/run_options.hpp"

namespace barrage::report {

/// A value the Job must not hold: it goes into the Secret under `key` (also the name of the
/// environment variable).
struct k8s_secret_value {
  std::string key, value;
};

/// A local file the pods read, delivered by the ConfigMap (secret == false) or the Secret and
/// mounted read-only at k8s_mount_path(*this). A scenario file and its data files are meant to
/// be added here, as ConfigMap files, when scenarios exist.
struct k8s_file {
  std::string option;      // the option that named it, e.g. "--body-file"
  std::string local_path;  // as typed on the command line
  std::string key;         // the ConfigMap or Secret key, and the file's name in the pod
  bool secret = false;     // --body-file and --key: in the Secret; --cacert, --cert: ConfigMap
  std::string content;     // filled in by the caller, who reads local_path
};

/// /etc/barrage/files/KEY (ConfigMap) or /etc/barrage/secret/KEY (Secret).
std::string k8s_mount_path(const k8s_file& f);

struct k8s_args {
  std::vector<std::string> args;        // for the container: secrets as $(KEY), '$' as "$$"
  std::vector<k8s_secret_value> env;    // in the order first met; one key per distinct value
  std::vector<k8s_file> files;          // without content
};

/// Rewrites `args` (the run's arguments in their order, as typed: "-H" "v", "--header=v",
/// "-Hv", "-b" ..., the URL, "--body-file" F ...). `url` is the run's URL (its token is the
/// one whose secrets move); `policy` decides which header names are secret (its
/// show_secrets is ignored: a manifest never shows them).
k8s_args move_secrets_off(std::span<const std::string> args, std::string_view url,
                          const loadgen::redaction_policy& policy);

/// Kubernetes' expansion of one container argument: $(NAME) becomes lookup(NAME) when that
/// is not nullopt (otherwise stays as written), "$$" becomes "$", anything else is kept.
std::string k8s_expand(std::string_view arg,
                       const std::function<std::optional<std::string>(std::string_view)>& lookup);

/// A secret-bearing value in parsed run options, and what it is (for an error message):
/// "-H Authorization", "the URL's password", "query parameter token", "-b".
struct secret_slot {
  std::string what, value;
};
/// Every secret value of `o` per `policy` (empty values left out).
std::vector<secret_slot> secret_slots(const loadgen::run_options& o, const loadgen::redaction_policy& policy);

}  // namespace barrage::report

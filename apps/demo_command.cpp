// `barrage demo`: placeholder until the built-in target is wired in.
#include "apps/commands.hpp"
namespace barrage::apps {
int demo_command(int, char**) { return 1; }
}  // namespace barrage::apps

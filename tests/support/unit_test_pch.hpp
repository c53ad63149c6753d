// The precompiled header of every unit-test program (tests/CMakeLists.txt): what nearly all
// test sources include, parsed once per program. Test sources still include what they use;
// this header only makes that cheaper. Nothing of ours in it: a change to src/ must not
// rebuild the header of every test program.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <coroutine>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <variant>
#include <vector>

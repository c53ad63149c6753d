#pragma once
// GoogleTest's ASSERT_* macros `return`, which a coroutine may not; these `co_return`.
#include <gtest/gtest.h>

#define CO_ASSERT_TRUE(cond)                         \
  if (!(cond)) {                                     \
    ADD_FAILURE() << "expected true: " #cond;        \
    co_return;                                       \
  }
#define CO_ASSERT_FALSE(cond) CO_ASSERT_TRUE(!(cond))

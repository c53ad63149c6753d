#pragma once
// result<T, E>: a value or an error, for expected outcomes (C++20 has no std::expected).
// Errors are values in barrage; exceptions are for setup failures and task propagation.
#include <cassert>
#include <type_traits>
#include <utility>
#include <variant>

namespace barrage {

template <class E>
struct failure {
  E error;
};
template <class E>
failure(E) -> failure<E>;

/// Builds the error side of a result: `return fail(errc::timed_out);`
template <class E>
constexpr failure<std::decay_t<E>> fail(E&& e) {
  return {std::forward<E>(e)};
}

template <class T, class E>
class [[nodiscard]] result {
 public:
  template <class U = T>
    requires std::is_constructible_v<T, U&&>
  constexpr result(U&& v) : v_(std::in_place_index<0>, std::forward<U>(v)) {}
  template <class G>
  constexpr result(failure<G> f) : v_(std::in_place_index<1>, std::move(f.error)) {}

  constexpr bool ok() const noexcept { return v_.index() == 0; }
  constexpr explicit operator bool() const noexcept { return ok(); }

  constexpr T& value() & { return *std::get_if<0>(&v_); }
  constexpr const T& value() const& { return *std::get_if<0>(&v_); }
  constexpr T&& value() && { return std::move(*std::get_if<0>(&v_)); }
  constexpr const E& error() const& {
    assert(!ok());
    return *std::get_if<1>(&v_);
  }
  constexpr T& operator*() & { return value(); }
  constexpr const T& operator*() const& { return value(); }
  constexpr T* operator->() { return &value(); }
  constexpr const T* operator->() const { return &value(); }
  template <class U>
  constexpr T value_or(U&& other) const& {
    return ok() ? value() : static_cast<T>(std::forward<U>(other));
  }

 private:
  std::variant<T, E> v_;
};

template <class E>
class [[nodiscard]] result<void, E> {
 public:
  constexpr result() = default;
  template <class G>
  constexpr result(failure<G> f) : err_(std::move(f.error)), ok_(false) {}
  constexpr bool ok() const noexcept { return ok_; }
  constexpr explicit operator bool() const noexcept { return ok_; }
  constexpr const E& error() const& {
    assert(!ok_);
    return err_;
  }

 private:
  E err_{};
  bool ok_ = true;
};

}  // namespace barrage

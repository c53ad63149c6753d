#pragma once
// The built-in target's small authenticated API, what a realistic user flow needs after
// POST /login:
//
//   GET /api/items        200 {"items": [{"id": 1, "name": "item 1", "price": 1.99}, ...]}
//                         (ten items; ?limit=<1..100> for fewer or more)
//   GET /api/items/{id}   200 {"id": n, "name": "item n", "price": ...} for 1 <= id <= 1000,
//                         404 {"error": "no such item"} otherwise, 400 for a non-number
//   GET /api/me           200 {"token": "<the token>"}
//
// Every /api route requires `Authorization: Bearer <a token from POST /login>` and answers
// 401 {"error": "..."} with `WWW-Authenticate: Bearer` otherwise. Tokens are checked, not
// stored: 8 random hex digits and 8 of a keyed hash of them (a secret drawn when the process
// starts), so any loop of any server process thread checks them with no shared state; a
// token from another process (or a forged one) is refused, except by a 2^-32 chance.
#include <string>
#include <string_view>

#include "server/router.hpp"

namespace barrage::server {

/// A new token for POST /login: 16 lowercase hex digits.
std::string mint_token();
/// Whether `token` was minted by this process.
bool token_valid(std::string_view token) noexcept;

/// Adds the /api routes above to `r`.
void add_api_routes(router& r);

}  // namespace barrage::server

// The request-target of a probe's GET, as kubelet derives it from
// `httpGet.path`: Go's url.Parse of the path, then the URL's RequestURI().
// The fragment ("#...") is never sent; a query goes as written; a path that
// needs no escaping goes as written, otherwise Go's escaping of its decoded
// form; a path url.Parse refuses (a bad "%" escape) is escaped whole, "?" and
// "#" included, as kubelet's fallback does. Written by hand: no library
// reproduces Go's URL parsing byte for byte.
//
// Pure functions; safe to call from any thread.
#pragma once

#include <string>
#include <string_view>

namespace vigil {

// Whether kubelet would read `path` as "//host/path" (a network-path
// reference): its host is dropped and the rest probed. vigil refuses such a
// path instead.
bool IsNetworkPath(std::string_view path);

// "/ready#frag" -> "/ready", "" -> "/", "?foo" -> "/?foo",
// "/a b" -> "/a%20b", "/a%zz" -> "/a%25zz". `path` is not a network path.
std::string RequestTarget(std::string_view path);

// What Go's URL.String() writes after scheme://host:port for kubelet's URL
// of `path` (the Referer of a first redirect): the fragment kept, an empty
// path left empty. "/ready#frag" -> "/ready#frag", "?foo" -> "?foo".
std::string UrlTail(std::string_view path);

// Whether Go's url.Parse takes `url` (a Location): no control bytes, and
// every "%" outside the query followed by two hex digits.
bool ParsesAsGoUrl(std::string_view url);

}  // namespace vigil

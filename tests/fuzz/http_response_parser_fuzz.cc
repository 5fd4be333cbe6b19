// HttpResponseParser on any bytes, fed whole and in pieces: it must read the
// same either way, never count more than kMaxBodyBytes of body, and stay in
// its final state once there. The first byte picks the piece size and
// whether the stream ends; the rest is the response.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "probes/http_response_parser.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using vigil::HttpResponseParser;

HttpResponseParser Parse(std::string_view bytes, size_t piece, bool eof) {
  HttpResponseParser parser;
  for (size_t i = 0; i < bytes.size() && parser.state() == HttpResponseParser::State::kMore;
       i += piece) {
    parser.Feed(bytes.substr(i, piece));
  }
  if (eof && parser.state() == HttpResponseParser::State::kMore) parser.Finish();
  return parser;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t piece = 1 + (data[0] & 0x7f);
  const bool eof = (data[0] & 0x80) != 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);

  const HttpResponseParser whole = Parse(bytes, bytes.size() + 1, eof);
  const HttpResponseParser pieces = Parse(bytes, piece, eof);
  FUZZ_CHECK(whole.state() == pieces.state());
  FUZZ_CHECK(whole.status() == pieces.status());
  FUZZ_CHECK(whole.error() == pieces.error());
  FUZZ_CHECK(whole.location() == pieces.location());
  FUZZ_CHECK(whole.body_bytes() == pieces.body_bytes());
  FUZZ_CHECK(whole.body_bytes() <= HttpResponseParser::kMaxBodyBytes);
  FUZZ_CHECK((whole.state() == HttpResponseParser::State::kError) == !whole.error().empty());
  // Three digits, as Go's net/http (kubelet's) takes them: "002" is status 2,
  // which the probe judges a failure.
  if (whole.state() == HttpResponseParser::State::kDone) {
    FUZZ_CHECK(whole.status() >= 0 && whole.status() <= 999);
  }
  // A finished parser ignores what comes after.
  HttpResponseParser after = Parse(bytes, bytes.size() + 1, eof);
  if (after.state() != HttpResponseParser::State::kMore) {
    after.Feed("HTTP/1.1 200 OK\r\n\r\n");
    FUZZ_CHECK(after.state() == whole.state());
    FUZZ_CHECK(after.status() == whole.status());
  }
  return 0;
}

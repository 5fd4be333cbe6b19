// HttpResponseParser as a pure function of the bytes it is fed: every framing
// a server may use, fed whole and one byte at a time, and what is malformed.
#include "probes/http_response_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace vigil {
namespace {

using State = HttpResponseParser::State;

// Feeds `bytes` in pieces of `piece` bytes; then, if `eof`, ends the stream.
HttpResponseParser Parse(const std::string& bytes, size_t piece, bool eof) {
  HttpResponseParser parser;
  for (size_t i = 0; i < bytes.size() && parser.state() == State::kMore; i += piece) {
    parser.Feed(std::string_view(bytes).substr(i, piece));
  }
  if (eof) parser.Finish();
  return parser;
}

// The same bytes whole and byte by byte must read the same.
void ExpectDone(const std::string& bytes, int status, uint64_t body, bool eof = false) {
  for (size_t piece : {bytes.size() + 1, size_t{1}, size_t{7}}) {
    HttpResponseParser parser = Parse(bytes, piece, eof);
    EXPECT_EQ(parser.state(), State::kDone) << "piece " << piece << ": " << parser.error();
    EXPECT_EQ(parser.status(), status) << "piece " << piece;
    EXPECT_EQ(parser.body_bytes(), body) << "piece " << piece;
  }
}

void ExpectMalformed(const std::string& bytes, const std::string& error, bool eof = false) {
  for (size_t piece : {bytes.size() + 1, size_t{1}}) {
    HttpResponseParser parser = Parse(bytes, piece, eof);
    EXPECT_EQ(parser.state(), State::kError) << "piece " << piece;
    EXPECT_EQ(parser.error(), error) << "piece " << piece;
  }
}

TEST(HttpResponseParserTest, ContentLengthEndsTheResponseWithoutWaitingForTheClose) {
  ExpectDone("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n", 200, 3);
  ExpectDone("HTTP/1.1 503 Service Unavailable\r\ncontent-length:  0 \r\n\r\n", 503, 0);
  // Bytes after the response are not read.
  ExpectDone("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA", 200, 2);
}

TEST(HttpResponseParserTest, ChunkedBodiesEndAtTheLastChunk) {
  ExpectDone(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n1A;ext=1\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Trailer: 1\r\n\r\n",
      200, 31);
  ExpectDone("HTTP/1.1 404 Not Found\r\nTransfer-Encoding: Chunked\r\n\r\n0\r\n\r\n", 404, 0);
}

TEST(HttpResponseParserTest, WithoutALengthTheBodyEndsWithTheConnection) {
  const std::string bytes = "HTTP/1.0 200 OK\r\nServer: old\r\n\r\nsome body";
  HttpResponseParser open = Parse(bytes, bytes.size(), /*eof=*/false);
  EXPECT_EQ(open.state(), State::kMore);
  ExpectDone(bytes, 200, 9, /*eof=*/true);
}

TEST(HttpResponseParserTest, AnswersWithoutABody) {
  ExpectDone("HTTP/1.1 204 No Content\r\n\r\n", 204, 0);
  ExpectDone("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", 304, 0);
  ExpectDone("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n", 101, 0);
}

TEST(HttpResponseParserTest, InterimAnswersAreSkipped) {
  ExpectDone(
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
      "HTTP/1.1 302 Found\r\nLocation: /next\r\nContent-Length: 0\r\n\r\n",
      302, 0);
  HttpResponseParser parser = Parse(
      "HTTP/1.1 100 Continue\r\nLocation: /interim\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: "
      "0\r\n\r\n",
      1000, false);
  EXPECT_EQ(parser.status(), 200);
  EXPECT_EQ(parser.location(), "");
}

TEST(HttpResponseParserTest, KeepsTheLocationAndAcceptsBareNewlines) {
  HttpResponseParser parser =
      Parse("HTTP/1.1 301 Moved\nlocation:   http://127.0.0.1:81/b?c=d  \nContent-Length: 0\n\n", 5,
            false);
  EXPECT_EQ(parser.state(), State::kDone);
  EXPECT_EQ(parser.status(), 301);
  EXPECT_EQ(parser.location(), "http://127.0.0.1:81/b?c=d");
}

// kubelet: pkg/probe/http/http_test.go TestHTTPProbeChecker_PayloadTruncated and
// _PayloadNormal; ReadAtMost stops once 10 KiB have come.
TEST(HttpResponseParserTest, ReadsAtMostTenKibibytesOfBody) {
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 50000000\r\n\r\n";
  HttpResponseParser parser;
  EXPECT_EQ(parser.Feed(head), State::kMore);
  EXPECT_EQ(parser.Feed(std::string(HttpResponseParser::kMaxBodyBytes - 1, 'x')), State::kMore);
  EXPECT_EQ(parser.Feed("x"), State::kDone);  // the 10,240th byte ends the read
  EXPECT_EQ(parser.status(), 200);
  EXPECT_EQ(parser.body_bytes(), HttpResponseParser::kMaxBodyBytes);
  // Unbounded bodies are capped the same way.
  HttpResponseParser endless;
  endless.Feed("HTTP/1.1 200 OK\r\n\r\n");
  EXPECT_EQ(endless.Feed(std::string(64 * 1024, 'x')), State::kDone);
  EXPECT_EQ(endless.body_bytes(), HttpResponseParser::kMaxBodyBytes);
}

// Found by tests/fuzz: a chunk line too long was "headers longer than
// 100 KiB" when it came in one piece, and a line of the limit plus its "\r"
// was refused only when the "\n" came in a later piece.
TEST(HttpResponseParserTest, LinesTooLongReadTheSameInAnyPieces) {
  const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  ExpectMalformed(head + std::string(5000, 'a') + "\r\n", "a chunk line longer than 4096 bytes");
  // A chunk size with an extension of the limit's length is fine, however split.
  const std::string at_limit = "1;" + std::string(4094, 'e');
  ExpectDone(head + at_limit + "\r\nx\r\n0\r\n\r\n", 200, 1);
  ExpectMalformed(head + at_limit + "e\r\nx\r\n0\r\n\r\n", "a chunk line longer than 4096 bytes");
}

// Found by tests/fuzz: a piece crossing the cap was counted whole, so the
// count depended on how the bytes arrived.
TEST(HttpResponseParserTest, TheBodyCountPastTheCapDoesNotDependOnThePieces) {
  ExpectDone("HTTP/1.1 200 OK\r\nContent-Length: 20000\r\n\r\n" + std::string(12000, 'x'), 200,
             HttpResponseParser::kMaxBodyBytes);
  ExpectDone("HTTP/1.1 200 OK\r\n\r\n" + std::string(12000, 'x'), 200,
             HttpResponseParser::kMaxBodyBytes);
}

// Go's http.ReadResponse trims the spaces before the code.
TEST(HttpResponseParserTest, StatusLinesAsGoReadsThem) {
  for (const auto& [line, status] :
       std::vector<std::pair<std::string, int>>{{"HTTP/1.1  200 OK", 200},
                                                {"HTTP/1.1    503 Service Unavailable", 503},
                                                {"HTTP/1.1 204", 204},
                                                {"HTTP/1.0 200 OK", 200},
                                                {"HTTP/2.0 200 OK", 200},
                                                {"HTTP/1.1 +20 OK", 20},
                                                {"HTTP/1.1 099 Low", 99}}) {
    HttpResponseParser parser;
    parser.Feed(line + "\r\nContent-Length: 0\r\n\r\n");
    EXPECT_EQ(parser.state(), State::kDone) << line << ": " << parser.error();
    EXPECT_EQ(parser.status(), status) << line;
  }
}

TEST(HttpResponseParserTest, StatusLinesThatAreNotHttp) {
  ExpectMalformed("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n",
                  "status line \"SSH-2.0-OpenSSH_9.2p1 Debian-2\"");
  ExpectMalformed("HTTP/1.1 20 OK\r\n\r\n", "status line \"HTTP/1.1 20 OK\"");
  ExpectMalformed("HTTP/1.1 2000 OK\r\n\r\n", "status line \"HTTP/1.1 2000 OK\"");
  ExpectMalformed("HTTP/x.1 200 OK\r\n\r\n", "status line \"HTTP/x.1 200 OK\"");
  ExpectMalformed("\r\n", "status line \"\"");
  ExpectMalformed(std::string("HTTP/1.1 200\x01OK\r\n", 17), "status line \"HTTP/1.1 200?OK\"");
  ExpectMalformed("HTTP/1.1 -20 OK\r\n\r\n", "status line \"HTTP/1.1 -20 OK\"");
  ExpectMalformed("HTTP/1.1 200OK\r\n\r\n", "status line \"HTTP/1.1 200OK\"");
  ExpectMalformed("HTTP/1.1\r\n\r\n", "status line \"HTTP/1.1\"");
  ExpectMalformed("HTTP/1.10 200 OK\r\n\r\n", "status line \"HTTP/1.10 200 OK\"");
}

// Go's transfer rules: from HTTP/1.1 on, one Transfer-Encoding field and only
// "chunked"; HTTP/1.0 ignores the field; an empty Content-Length is none.
TEST(HttpResponseParserTest, FramingAsGoReadsIt) {
  ExpectMalformed("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
                  "unsupported transfer encoding: \"gzip, chunked\"");
  ExpectMalformed("HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\n\r\n",
                  "unsupported transfer encoding: \"identity\"");
  ExpectMalformed(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
      "too many transfer encodings");
  HttpResponseParser old;
  old.Feed("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\nok");
  EXPECT_EQ(old.state(), State::kDone);
  HttpResponseParser chunked;
  chunked.Feed("HTTP/1.1 200 OK\r\ntransfer-encoding: Chunked\r\nContent-Length: 99\r\n\r\n");
  EXPECT_EQ(chunked.content_length(), std::nullopt);  // a length beside chunked is ignored
  EXPECT_EQ(chunked.Feed("2\r\nok\r\n0\r\n\r\n"), State::kDone);
  HttpResponseParser empty_length;
  empty_length.Feed("HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\nbody");
  EXPECT_EQ(empty_length.state(), State::kMore);  // until the close
  EXPECT_EQ(empty_length.Finish(), State::kDone);
}

TEST(HttpResponseParserTest, AtMostFiveInterimAnswers) {
  std::string five;
  for (int i = 0; i < 5; ++i) five += "HTTP/1.1 100 Continue\r\n\r\n";
  HttpResponseParser parser;
  EXPECT_EQ(parser.Feed(five + "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), State::kDone);
  EXPECT_EQ(parser.status(), 200);
  ExpectMalformed(five + "HTTP/1.1 103 Early Hints\r\n\r\n",
                  "net/http: too many 1xx informational responses");
}

// Below 100 a status is no informational one: its body is read.
TEST(HttpResponseParserTest, StatusBelowOneHundredHasABody) {
  HttpResponseParser parser;
  EXPECT_EQ(parser.Feed("HTTP/1.1 099 X\r\nContent-Length: 4\r\n\r\n"), State::kMore);
  EXPECT_EQ(parser.Feed("body"), State::kDone);
}

TEST(HttpResponseParserTest, LimitBodyEndsTheBodyEarly) {
  HttpResponseParser parser;
  parser.Feed("HTTP/1.1 302 Found\r\nLocation: /x\r\n\r\n" + std::string(100, 'a'));
  EXPECT_EQ(parser.state(), State::kMore);
  parser.LimitBody(2048);
  EXPECT_EQ(parser.Feed(std::string(1947, 'a')), State::kMore);
  EXPECT_EQ(parser.Feed("a"), State::kDone);
  HttpResponseParser read_enough;
  read_enough.Feed("HTTP/1.1 302 Found\r\n\r\n" + std::string(3000, 'a'));
  read_enough.LimitBody(2048);
  EXPECT_EQ(read_enough.state(), State::kDone);
}

TEST(HttpResponseParserTest, MalformedHeadersAndFraming) {
  ExpectMalformed("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "header line \"no colon here\"");
  ExpectMalformed("HTTP/1.1 200 OK\r\n: empty name\r\n\r\n", "header line \": empty name\"");
  ExpectMalformed("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", "Content-Length \"1x\"");
  ExpectMalformed("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "Content-Length \"-1\"");
  ExpectMalformed("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                  "two different Content-Lengths");
  ExpectMalformed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                  "chunk size \"zz\"");
  ExpectMalformed("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", "Content-Length \"x\"");
  ExpectMalformed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n",
                  "a chunk's data is longer than its size");
}

TEST(HttpResponseParserTest, HeadersHaveALimit) {
  std::string bytes = "HTTP/1.1 200 OK\r\n";
  while (bytes.size() <= HttpResponseParser::kMaxHeaderBytes)
    bytes += "X-Filler: aaaaaaaaaaaaaaaa\r\n";
  ExpectMalformed(bytes, "headers longer than 100 KiB");
  // One endless line too, without a line end.
  ExpectMalformed("HTTP/1.1 200 OK\r\nX: " + std::string(200 * 1024, 'a'),
                  "headers longer than 100 KiB");
}

TEST(HttpResponseParserTest, AnEarlyEndIsTruncation) {
  HttpResponseParser empty = Parse("", 1, /*eof=*/true);
  EXPECT_EQ(empty.state(), State::kError);
  EXPECT_TRUE(empty.truncated());
  EXPECT_EQ(empty.error(), "empty reply from server");
  // Before the headers have all come: the response is cut short.
  for (const std::string& cut :
       {std::string("HTTP/1.1 200 OK\r\nContent-Le"), std::string("HTTP/1.1 200")}) {
    HttpResponseParser parser = Parse(cut, 3, /*eof=*/true);
    EXPECT_EQ(parser.state(), State::kError) << cut;
    EXPECT_TRUE(parser.truncated()) << cut;
    EXPECT_FALSE(parser.headers_complete()) << cut;
    EXPECT_EQ(parser.error(), "the server closed the connection before the response was complete");
  }
  // After them: the body is, with Go's error.
  for (const std::string& cut :
       {std::string("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"),
        std::string("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab")}) {
    HttpResponseParser parser = Parse(cut, 3, /*eof=*/true);
    EXPECT_EQ(parser.state(), State::kError) << cut;
    EXPECT_TRUE(parser.truncated()) << cut;
    EXPECT_TRUE(parser.headers_complete()) << cut;
    EXPECT_EQ(parser.error(), "unexpected EOF");
  }
  // A malformed response is not a truncated one.
  EXPECT_FALSE(Parse("nope\r\n", 100, true).truncated());
}

}  // namespace
}  // namespace vigil

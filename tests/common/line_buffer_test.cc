#include "common/line_buffer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace vigil {
namespace {

std::vector<std::string> Feed(LineBuffer& buffer, const std::vector<std::string>& pieces,
                              LineBuffer::Outcome* last = nullptr) {
  std::vector<std::string> lines;
  LineBuffer::Outcome outcome = LineBuffer::Outcome::kMore;
  for (const std::string& piece : pieces) {
    outcome = buffer.Append(piece, [&](std::string_view line) {
      lines.emplace_back(line);
      return true;
    });
    if (outcome != LineBuffer::Outcome::kMore) break;
  }
  if (last != nullptr) *last = outcome;
  return lines;
}

TEST(LineBufferTest, SplitsLinesWhateverThePiecesAre) {
  LineBuffer buffer(100);
  EXPECT_EQ(Feed(buffer, {"one\ntw", "o\r\n", "", "thr", "ee\nfour"}),
            (std::vector<std::string>{"one", "two", "three"}));
  EXPECT_EQ(buffer.pending(), 4u);
  EXPECT_EQ(Feed(buffer, {"\n\n"}), (std::vector<std::string>{"four", ""}));
  EXPECT_EQ(buffer.pending(), 0u);
}

TEST(LineBufferTest, StopsWhenTheReaderSaysSo) {
  LineBuffer buffer(100);
  int seen = 0;
  EXPECT_EQ(buffer.Append("a\nb\nc\n",
                          [&](std::string_view) {
                            ++seen;
                            return seen < 2;
                          }),
            LineBuffer::Outcome::kStopped);
  EXPECT_EQ(seen, 2);
}

TEST(LineBufferTest, ALineOverTheCapIsRefusedWhetherItEndsOrNot) {
  LineBuffer endless(10);
  LineBuffer::Outcome outcome;
  EXPECT_TRUE(Feed(endless, {"12345", "67890", "1"}, &outcome).empty());
  EXPECT_EQ(outcome, LineBuffer::Outcome::kTooLong);
  EXPECT_LE(endless.pending(), 10u);

  LineBuffer whole(10);
  EXPECT_EQ(Feed(whole, {"ok\n12345678901\n"}, &outcome), (std::vector<std::string>{"ok"}));
  EXPECT_EQ(outcome, LineBuffer::Outcome::kTooLong);

  LineBuffer exact(10);
  EXPECT_EQ(Feed(exact, {"12345", "67890\n"}, &outcome), (std::vector<std::string>{"1234567890"}));
  EXPECT_EQ(outcome, LineBuffer::Outcome::kMore);
}

// A line that comes a byte at a time is looked at once per byte: 4 MiB in
// pieces of one byte takes no longer than a few passes over 4 MiB would.
TEST(LineBufferTest, SplittingIsLinearInTheStream) {
  LineBuffer buffer(8 * 1024 * 1024);
  const std::string piece(1, 'x');
  const auto started = std::chrono::steady_clock::now();
  size_t lines = 0;
  for (int i = 0; i < 4 * 1024 * 1024; ++i) {
    buffer.Append(piece, [&](std::string_view) { return ++lines, true; });
  }
  buffer.Append("\n", [&](std::string_view line) {
    EXPECT_EQ(line.size(), 4u * 1024 * 1024);
    return ++lines, true;
  });
  EXPECT_EQ(lines, 1u);
  // Quadratic scanning would take hours; linear takes well under a second
  // even with sanitizers.
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
}

}  // namespace
}  // namespace vigil

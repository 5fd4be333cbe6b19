#include "common/log_escape.h"

#include <gtest/gtest.h>

#include <string>

namespace vigil {
namespace {

TEST(LogEscapeTest, PrintableAsciiAndUtf8PassThrough) {
  EXPECT_EQ(EscapeForLog("/vigil/services/web/node-1"), "/vigil/services/web/node-1");
  EXPECT_EQ(EscapeForLog("n\xc3\xb3"
                         "de \xe2\x9c\x93 \xf0\x9f\x90\x9d"),
            "n\xc3\xb3"
            "de \xe2\x9c\x93 \xf0\x9f\x90\x9d");
  EXPECT_EQ(EscapeForLog(""), "");
}

TEST(LogEscapeTest, ALineBreakOrATerminalSequenceCannotSurvive) {
  const std::string forged =
      "web\n[2026-01-01 00:00:00.000] [info] forged\r\x1b[2J\x1b]0;title\x07";
  const std::string escaped = EscapeForLog(forged);
  EXPECT_EQ(escaped, "web\\n[2026-01-01 00:00:00.000] [info] forged\\r\\x1b[2J\\x1b]0;title\\x07");
  for (char c : escaped) {
    EXPECT_TRUE(c >= 0x20 && c < 0x7f) << static_cast<int>(c);
  }
  EXPECT_EQ(EscapeForLog(std::string("a\0b\tc\x7f", 6)), "a\\x00b\\tc\\x7f");
}

TEST(LogEscapeTest, BackslashesAreEscapedSoEveryEscapeMeansAByte) {
  EXPECT_EQ(EscapeForLog("C:\\x1b"), "C:\\\\x1b");
}

TEST(LogEscapeTest, BytesThatAreNotUtf8BecomeHexEscapes) {
  EXPECT_EQ(EscapeForLog("\xff\xfe"), "\\xff\\xfe");
  EXPECT_EQ(EscapeForLog("a\xc3"), "a\\xc3");                           // cut short
  EXPECT_EQ(EscapeForLog("\xc0\xaf"), "\\xc0\\xaf");                    // overlong "/"
  EXPECT_EQ(EscapeForLog("\xed\xa0\x80"), "\\xed\\xa0\\x80");           // a surrogate
  EXPECT_EQ(EscapeForLog("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");  // past U+10FFFF
}

TEST(LogEscapeTest, InvisibleControlsOfUnicodeAreNamed) {
  EXPECT_EQ(EscapeForLog("a\xc2\x85"
                         "b"),
            "a\\u{0085}b");                              // NEL, a C1 control
  EXPECT_EQ(EscapeForLog("\xe2\x80\xa8"), "\\u{2028}");  // line separator
  EXPECT_EQ(EscapeForLog("x\xe2\x80\xae"
                         "cba"),
            "x\\u{202e}cba");                            // right-to-left override
  EXPECT_EQ(EscapeForLog("\xe2\x81\xa6"), "\\u{2066}");  // left-to-right isolate
}

TEST(LogEscapeTest, LongTextIsCutAndSaysHowLongItWas) {
  const std::string key(100000, 'k');
  EXPECT_EQ(EscapeForLog(key, 8), "kkkkkkkk...(100000 bytes)");
  EXPECT_EQ(EscapeForLog(key).size(), kLogEscapeMaxBytes + std::string("...(100000 bytes)").size());
  EXPECT_EQ(EscapeForLog("12345678", 8), "12345678");
}

}  // namespace
}  // namespace vigil

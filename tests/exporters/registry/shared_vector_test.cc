#include "exporters/registry/shared_vector.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace vigil {
namespace {

using Strings = SharedVector<std::string>;

Strings Numbered(size_t count, const std::string& prefix = "element ") {
  Strings v;
  for (size_t i = 0; i < count; ++i) v.push_back(prefix + std::to_string(i));
  return v;
}

std::vector<std::string> Plain(const Strings& v) { return {v.begin(), v.end()}; }

// How many elements of `a` are the very objects of `b` at the same place.
size_t SharedElements(const Strings& a, const Strings& b) {
  size_t shared = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) shared += &a[i] == &b[i];
  return shared;
}

TEST(SharedVectorTest, HoldsItsElementsInOrderAcrossTrieLevels) {
  // A leaf holds 32, two levels 1,024, three 32,768.
  for (size_t count : {0, 1, 31, 32, 33, 1023, 1024, 1025, 40000}) {
    const Strings v = Numbered(count);
    ASSERT_EQ(v.size(), count);
    EXPECT_EQ(v.empty(), count == 0);
    for (size_t i = 0; i < count; ++i) ASSERT_EQ(v[i], "element " + std::to_string(i)) << count;
    size_t seen = 0;
    for (const std::string& s : v) ASSERT_EQ(s, "element " + std::to_string(seen++));
    EXPECT_EQ(seen, count);
    if (count > 0) {
      EXPECT_EQ(v.front(), "element 0");
      EXPECT_EQ(v.back(), "element " + std::to_string(count - 1));
    }
  }
}

TEST(SharedVectorTest, IteratorsAreRandomAccess) {
  const Strings v = Numbered(100);
  EXPECT_EQ(std::distance(v.begin(), v.end()), 100);
  EXPECT_EQ(v.begin()[70], "element 70");
  EXPECT_EQ(*(v.end() - 1), "element 99");
  auto it = v.begin() + 40;
  it -= 8;
  EXPECT_EQ(*it, "element 32");
  EXPECT_EQ(it->size(), 10u);
  EXPECT_LT(it, v.end());
  EXPECT_EQ(std::count_if(v.begin(), v.end(), [](const std::string& s) { return s.back() == '7'; }),
            10);
}

TEST(SharedVectorTest, BuildsFromAVectorOrAList) {
  const Strings a = std::vector<std::string>{"x", "y"};
  const Strings b = {"x", "y"};
  EXPECT_EQ(a, b);
  EXPECT_EQ(Plain(a), (std::vector<std::string>{"x", "y"}));
  Strings c;
  c.assign(3, "z");
  EXPECT_EQ(Plain(c), (std::vector<std::string>{"z", "z", "z"}));
  c.clear();
  EXPECT_TRUE(c.empty());
  c.push_back("again");
  EXPECT_EQ(Plain(c), (std::vector<std::string>{"again"}));
}

TEST(SharedVectorTest, ACopySharesEverythingUntilOneOfThemChanges) {
  const Strings original = Numbered(1010);
  Strings copy = original;
  EXPECT_EQ(SharedElements(copy, std::as_const(original)), 1010u);
  copy[500] = "changed";
  // The original is as it was; the copy shares all but the changed element.
  EXPECT_EQ(original[500], "element 500");
  EXPECT_EQ(std::as_const(copy)[500], "changed");
  EXPECT_EQ(SharedElements(std::as_const(copy), original), 1009u);
  EXPECT_FALSE(copy == original);
  // Appending to a copy leaves the original's size.
  copy.push_back("more");
  EXPECT_EQ(original.size(), 1010u);
  EXPECT_EQ(copy.size(), 1011u);
}

TEST(SharedVectorTest, ChangesInPlaceWhatItAloneHolds) {
  Strings v = Numbered(100);
  const std::string* before = &std::as_const(v)[7];
  v[7] = "changed";
  EXPECT_EQ(&std::as_const(v)[7], before);
}

TEST(SharedVectorTest, EqualityComparesContentsNotStorage) {
  EXPECT_EQ(Numbered(1000), Numbered(1000));
  EXPECT_FALSE(Numbered(1000) == Numbered(999));
  Strings other = Numbered(1000);
  other[999] = "different";
  EXPECT_FALSE(Numbered(1000) == other);
  EXPECT_EQ(Strings(), Strings());
}

TEST(SharedVectorTest, ShareWithTakesTheEqualElementsOfAVectorOfTheSameSize) {
  const Strings previous = Numbered(1010);
  Strings next = Numbered(1010);  // built anew: equal, but nothing shared
  next[3] = "changed";
  next[700] = "changed too";
  EXPECT_EQ(SharedElements(std::as_const(next), previous), 0u);
  EXPECT_FALSE(next.ShareWith(previous));
  EXPECT_EQ(SharedElements(next, previous), 1008u);
  EXPECT_EQ(next[3], "changed");
  EXPECT_EQ(next[700], "changed too");
  EXPECT_EQ(next[4], "element 4");

  Strings same = Numbered(1010);
  EXPECT_TRUE(same.ShareWith(previous));
  EXPECT_EQ(SharedElements(same, previous), 1010u);
}

TEST(SharedVectorTest, ShareWithTakesTheCommonBeginningAndEndAfterAnInsertOrRemoval) {
  const Strings previous = Numbered(1010);
  std::vector<std::string> plain = Plain(previous);
  plain.insert(plain.begin() + 400, {"new 1", "new 2"});
  Strings growing = plain;
  EXPECT_FALSE(growing.ShareWith(previous));
  const Strings& grown = growing;
  EXPECT_EQ(Plain(grown), plain);
  for (size_t i = 0; i < 400; ++i) ASSERT_EQ(&grown[i], &previous[i]) << i;
  for (size_t i = 402; i < 1012; ++i) ASSERT_EQ(&grown[i], &previous[i - 2]) << i;

  plain = Plain(previous);
  plain.erase(plain.begin() + 10);
  Strings shrinking = plain;
  EXPECT_FALSE(shrinking.ShareWith(previous));
  const Strings& shrunk = shrinking;
  EXPECT_EQ(Plain(shrunk), plain);
  EXPECT_EQ(&shrunk[9], &previous[9]);
  EXPECT_EQ(&shrunk[10], &previous[11]);
  EXPECT_EQ(&shrunk[1008], &previous[1009]);
}

TEST(SharedVectorTest, ShareWithLeavesTheOtherVectorsSharingItsStorageAlone) {
  const Strings previous = Numbered(64);
  Strings next = Numbered(64);
  const Strings copy_of_next = next;  // shares next's storage
  const std::string* before = &copy_of_next[5];
  EXPECT_TRUE(next.ShareWith(previous));
  EXPECT_EQ(&copy_of_next[5], before);
  EXPECT_EQ(copy_of_next, previous);
}

TEST(SharedVectorTest, SortsByTheGivenOrderKeepingTheElements) {
  Strings v = {"c", "a", "d", "b"};
  const std::string* a = &std::as_const(v)[1];
  v.Sort([](const std::string& x, const std::string& y) { return x < y; });
  EXPECT_EQ(Plain(v), (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_EQ(&std::as_const(v)[0], a);
  Strings big = Numbered(2000);
  big.Sort([](const std::string& x, const std::string& y) { return x > y; });
  EXPECT_TRUE(std::is_sorted(big.begin(), big.end(), std::greater<>()));
  EXPECT_EQ(big.size(), 2000u);
}

}  // namespace
}  // namespace vigil

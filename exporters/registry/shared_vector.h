// SharedVector<T>: a sequence of T with value semantics whose copies share
// their storage. It holds the endpoints of an Endpoints object, so that each
// version the StatusBoard keeps shares with the version before it every
// endpoint that did not change: a service of a thousand endpoints whose one
// endpoint flips costs the board about a kilobyte per version, not the whole
// service again.
//
// Stored as a 32-way trie of individually held elements (a persistent
// vector): copying a SharedVector copies one pointer; changing element i
// copies the nodes on the way to it (32 pointers per level: two levels up to
// 1,024 elements, three up to 32,768) and the element, and leaves the rest
// shared. Reading element i follows one pointer per level, iteration about
// one per element. The shape depends only on the size, so two vectors of one
// size compare node by node, and equal parts are found by pointer.
//
// Thread-safety: as std::vector's. Const methods may be called from any
// thread; a non-const one needs this SharedVector to itself, but not the
// copies it shares storage with: a node or element that another copy holds
// is copied before it is changed (copy on write), never changed in place.
// Hence a non-const operator[] copies what it reaches when shared, even to
// read: read through a const reference.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <vector>

namespace vigil {

template <typename T>
class SharedVector {
  struct Node;

 public:
  using value_type = T;
  using size_type = size_t;
  using difference_type = std::ptrdiff_t;
  using reference = T&;
  using const_reference = const T&;

  // Random access, read-only. Invalidated by any change of the vector.
  class const_iterator {
   public:
    using iterator_category = std::random_access_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = const T*;
    using reference = const T&;

    const_iterator() = default;

    reference operator*() const {
      // The leaf is looked up once per 32 elements.
      const size_t leaf = index_ >> kBits;
      if (leaf_ == nullptr || leaf != leaf_number_) {
        leaf_ = vector_->Leaf(index_);
        leaf_number_ = leaf;
      }
      return *leaf_->items[index_ & kMask];
    }
    pointer operator->() const { return &**this; }
    reference operator[](difference_type n) const { return *(*this + n); }

    const_iterator& operator++() {
      ++index_;
      return *this;
    }
    const_iterator operator++(int) {
      const_iterator before = *this;
      ++index_;
      return before;
    }
    const_iterator& operator--() {
      --index_;
      return *this;
    }
    const_iterator operator--(int) {
      const_iterator before = *this;
      --index_;
      return before;
    }
    const_iterator& operator+=(difference_type n) {
      index_ = static_cast<size_t>(static_cast<difference_type>(index_) + n);
      return *this;
    }
    const_iterator& operator-=(difference_type n) { return *this += -n; }
    friend const_iterator operator+(const_iterator it, difference_type n) { return it += n; }
    friend const_iterator operator+(difference_type n, const_iterator it) { return it += n; }
    friend const_iterator operator-(const_iterator it, difference_type n) { return it -= n; }
    friend difference_type operator-(const const_iterator& a, const const_iterator& b) {
      return static_cast<difference_type>(a.index_) - static_cast<difference_type>(b.index_);
    }
    bool operator==(const const_iterator& other) const { return index_ == other.index_; }
    auto operator<=>(const const_iterator& other) const { return index_ <=> other.index_; }

   private:
    friend class SharedVector;
    const_iterator(const SharedVector* vector, size_t index) : vector_(vector), index_(index) {}

    const SharedVector* vector_ = nullptr;
    size_t index_ = 0;
    mutable const Node* leaf_ = nullptr;
    mutable size_t leaf_number_ = 0;
  };
  using iterator = const_iterator;

  SharedVector() = default;
  SharedVector(std::initializer_list<T> items) {
    for (const T& item : items) push_back(item);
  }
  SharedVector(std::vector<T> items) {  // NOLINT: as a vector converts
    for (T& item : items) push_back(std::move(item));
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  const T& operator[](size_t i) const { return *Leaf(i)->items[i & kMask]; }
  // Copies the element (and the nodes on the way) first when shared.
  T& operator[](size_t i) { return *Unique(ItemSlot(i)); }
  const T& front() const { return (*this)[0]; }
  const T& back() const { return (*this)[size_ - 1]; }

  const_iterator begin() const { return const_iterator(this, 0); }
  const_iterator end() const { return const_iterator(this, size_); }
  const_iterator cbegin() const { return begin(); }
  const_iterator cend() const { return end(); }

  void push_back(T item) { PushItem(std::make_shared<T>(std::move(item))); }
  void clear() {
    root_.reset();
    size_ = 0;
    shift_ = 0;
  }
  void assign(size_t count, const T& value) {
    clear();
    for (size_t i = 0; i < count; ++i) push_back(value);
  }
  // Sorts by `less`, moving pointers rather than elements.
  template <typename Less>
  void Sort(Less less) {
    std::vector<std::shared_ptr<T>> items = Items();
    std::stable_sort(
        items.begin(), items.end(),
        [&](const std::shared_ptr<T>& a, const std::shared_ptr<T>& b) { return less(*a, *b); });
    clear();
    for (std::shared_ptr<T>& item : items) PushItem(std::move(item));
  }

  bool operator==(const SharedVector& other) const {
    return size_ == other.size_ && (size_ == 0 || Equal(*root_, *other.root_, shift_));
  }

  // Takes from `previous` (usually the version this one replaces) every
  // element equal to its own and every node all of whose elements are, so
  // that the two share them; the contents stay as they are. Elements are
  // matched by position, and when the sizes differ (elements inserted or
  // removed in one place) by their common beginning and end. Returns whether
  // the contents are equal: then both share all their storage.
  bool ShareWith(const SharedVector& previous) {
    if (size_ == previous.size_) {
      return size_ == 0 || Share(root_, previous.root_, shift_);
    }
    const size_t shorter = std::min(size_, previous.size_);
    size_t head = 0;
    for (; head < shorter && Adopt(head, previous, head); ++head) {
    }
    for (size_t tail = 1; head + tail <= shorter; ++tail) {
      if (!Adopt(size_ - tail, previous, previous.size_ - tail)) break;
    }
    return false;
  }

 private:
  static constexpr unsigned kBits = 5;
  static constexpr size_t kWidth = size_t{1} << kBits;
  static constexpr size_t kMask = kWidth - 1;

  // An inner node (children) or a leaf (items), both of at most kWidth.
  struct Node {
    std::vector<std::shared_ptr<Node>> children;
    std::vector<std::shared_ptr<T>> items;
  };

  // Makes `p` the only owner of what it points to, copying that when shared.
  template <typename U>
  static U* Unique(std::shared_ptr<U>& p) {
    if (p.use_count() == 1) {
      // The last other owner may have let go on another thread: its reads
      // come before our writes.
      std::atomic_thread_fence(std::memory_order_acquire);
    } else {
      p = std::make_shared<U>(*p);
    }
    return p.get();
  }

  size_t Capacity() const { return root_ ? kWidth << shift_ : 0; }

  const Node* Leaf(size_t i) const {
    const Node* node = root_.get();
    for (unsigned shift = shift_; shift > 0; shift -= kBits) {
      node = node->children[(i >> shift) & kMask].get();
    }
    return node;
  }

  // The slot of element i, with the nodes on the way made this vector's own.
  std::shared_ptr<T>& ItemSlot(size_t i) {
    Node* node = Unique(root_);
    for (unsigned shift = shift_; shift > 0; shift -= kBits) {
      node = Unique(node->children[(i >> shift) & kMask]);
    }
    return node->items[i & kMask];
  }

  void PushItem(std::shared_ptr<T> item) {
    if (size_ == Capacity()) {
      if (!root_) {
        root_ = NewNode(/*leaf=*/true);
      } else {
        std::shared_ptr<Node> root = NewNode(/*leaf=*/false);
        root->children.push_back(std::move(root_));
        root_ = std::move(root);
        shift_ += kBits;
      }
    }
    Node* node = Unique(root_);
    for (unsigned shift = shift_; shift > 0; shift -= kBits) {
      std::vector<std::shared_ptr<Node>>& children = node->children;
      const size_t slot = (size_ >> shift) & kMask;
      if (slot == children.size()) children.push_back(NewNode(/*leaf=*/shift == kBits));
      node = Unique(children[slot]);
    }
    node->items.push_back(std::move(item));
    ++size_;
  }

  // A node being filled: room for all it can hold, so that building a vector
  // does not grow each node step by step (copies are sized to fit).
  static std::shared_ptr<Node> NewNode(bool leaf) {
    auto node = std::make_shared<Node>();
    if (leaf) {
      node->items.reserve(kWidth);
    } else {
      node->children.reserve(kWidth);
    }
    return node;
  }

  std::vector<std::shared_ptr<T>> Items() const {
    std::vector<std::shared_ptr<T>> items;
    items.reserve(size_);
    if (root_) Collect(*root_, shift_, &items);
    return items;
  }

  static void Collect(const Node& node, unsigned shift, std::vector<std::shared_ptr<T>>* out) {
    if (shift == 0) {
      out->insert(out->end(), node.items.begin(), node.items.end());
      return;
    }
    for (const auto& child : node.children) Collect(*child, shift - kBits, out);
  }

  static bool Equal(const Node& a, const Node& b, unsigned shift) {
    if (&a == &b) return true;
    if (shift == 0) {
      return std::equal(a.items.begin(), a.items.end(), b.items.begin(), b.items.end(),
                        [](const auto& x, const auto& y) { return x == y || *x == *y; });
    }
    return std::equal(a.children.begin(), a.children.end(), b.children.begin(), b.children.end(),
                      [&](const auto& x, const auto& y) { return Equal(*x, *y, shift - kBits); });
  }

  // Makes `mine` (a node at the same place as `theirs` in a vector of the
  // same size) hold theirs' parts that are equal to its own, or become
  // `theirs` when all are; returns whether all are. Nodes of `mine` are
  // copied before they are changed when shared, else changed in place.
  static bool Share(std::shared_ptr<Node>& mine, const std::shared_ptr<Node>& theirs,
                    unsigned shift) {
    if (mine == theirs) return true;
    bool all = true;
    Node* own = nullptr;  // `mine`, made this vector's own at the first change
    if (shift == 0) {
      for (size_t i = 0; i < mine->items.size(); ++i) {
        const std::shared_ptr<T>& other = theirs->items[i];
        if (mine->items[i] == other) continue;
        if (!(*mine->items[i] == *other)) {
          all = false;
          continue;
        }
        if (own == nullptr) own = Unique(mine);
        own->items[i] = other;
      }
    } else {
      for (size_t i = 0; i < mine->children.size(); ++i) {
        if (mine->children[i] == theirs->children[i]) continue;
        if (own == nullptr) own = Unique(mine);
        all = Share(own->children[i], theirs->children[i], shift - kBits) && all;
      }
    }
    if (all) mine = theirs;
    return all;
  }

  // Takes previous[j] for element i when they are equal; returns whether.
  bool Adopt(size_t i, const SharedVector& previous, size_t j) {
    const std::shared_ptr<T>& other = previous.Leaf(j)->items[j & kMask];
    const std::shared_ptr<T>& item = Leaf(i)->items[i & kMask];
    if (item == other) return true;
    if (!(*item == *other)) return false;
    ItemSlot(i) = other;
    return true;
  }

  std::shared_ptr<Node> root_;  // null when empty
  size_t size_ = 0;
  unsigned shift_ = 0;  // kBits × the root's height: 0 when the root is a leaf
};

}  // namespace vigil

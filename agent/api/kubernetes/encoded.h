// EncodedObject: one object of the Kubernetes view written once as compact
// JSON text, with what serving it needs besides the text: where its
// metadata and its metadata.resourceVersion are in the text, its labels and
// selectable fields, its Table row's cells (but the ages, which depend on
// the clock). Lists, Tables and watch lines are then written by appending
// pieces of texts, without building or walking a tree per answer.
//
// Every answer written from EncodedObjects is byte for byte the dump of the
// tree the codecs build (objects.h, envelopes.h, tables.h), as vigil serves
// it (compact, invalid UTF-8 replaced): the codecs stay the definition, this
// is their cache. Immutable once made: safe to share between threads.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "agent/api/kubernetes/envelopes.h"
#include "agent/api/kubernetes/kube_json.h"
#include "agent/api/kubernetes/resources.h"
#include "agent/api/kubernetes/tables.h"
#include "common/clock.h"
#include "exporters/registry/field_selector.h"
#include "exporters/registry/label_selector.h"

namespace vigil::kube {

// The text vigil sends for `json`: compact, invalid UTF-8 replaced.
std::string Dump(const KubeJson& json);

class EncodedObject {
 public:
  // `object` is an object of `resource` as its codec made it (kind,
  // apiVersion, metadata with name and resourceVersion, …).
  EncodedObject(Resource resource, const KubeJson& object);

  Resource resource() const { return resource_; }
  const std::string& namespace_name() const { return namespace_name_; }
  const std::string& name() const { return name_; }
  uint64_t resource_version() const { return resource_version_; }
  // The heap this holds, roughly; the length of its JSON.
  size_t bytes() const { return bytes_; }
  size_t text_size() const { return text_.size(); }

  // Whether the object satisfies both selectors (selection.h's Selects).
  bool Selected(const LabelSelector& labels, const FieldSelector& fields) const;
  // Equal but for metadata.resourceVersion: the same state of the object.
  bool SameState(const EncodedObject& other) const;

  // The object's JSON; with metadata.resourceVersion `resource_version`
  // when given (a watch's DELETED event carries the last state at the
  // deletion's version).
  void AppendJson(std::string* out, std::optional<uint64_t> resource_version = {}) const;
  // Its Table row (EncodeTable's), ages as of `now`.
  void AppendRow(std::string* out, IncludeObject include, WallTime now,
                 std::optional<uint64_t> resource_version = {}) const;

 private:
  // text_ with the resourceVersion's digits at [rv_begin_, rv_end_)
  // replaced, from `begin` to `end`.
  void AppendSpan(std::string* out, size_t begin, size_t end,
                  std::optional<uint64_t> resource_version) const;

  Resource resource_;
  std::string text_;
  std::string namespace_name_;
  std::string name_;
  uint64_t resource_version_ = 0;
  size_t metadata_begin_ = 0;  // the metadata object's span in text_
  size_t metadata_end_ = 0;
  size_t rv_begin_ = 0;  // its resourceVersion's digits
  size_t rv_end_ = 0;
  std::map<std::string, std::string> labels_;
  FieldSelector::Fields fields_;
  std::vector<std::string> cells_;  // each cell's JSON; "" for an age
  std::vector<std::pair<size_t, std::optional<WallTime>>> ages_;
  size_t bytes_ = 0;
};

using EncodedPtr = std::shared_ptr<const EncodedObject>;

// EncodeList(resource, items, resource_version), written: `items` in the
// order given (sorted by the caller, as SortEncoded does).
void AppendList(std::string* out, Resource resource, std::span<const EncodedPtr> items,
                uint64_t resource_version);

// EncodeTable(resource, items, resource_version, now, options), written.
// `row_resource_version`, when given, is every row's object's (a watch
// event's single row at its DELETED version).
void AppendTable(std::string* out, Resource resource, std::span<const EncodedPtr> items,
                 uint64_t resource_version, WallTime now, const TableOptions& options,
                 std::optional<uint64_t> row_resource_version = {});

// EncodeWatchEvent(type, object) written, and the '\n' that ends the line:
// the head {"type":T,"object": , then the object's (or Table's) JSON, then
// the end.
void AppendWatchLineHead(std::string* out, WatchEventType type);
void AppendWatchLineEnd(std::string* out);

// Sorts by namespace, then name (SortByName's order), keeping the order of
// equals.
void SortEncoded(std::vector<EncodedPtr>& objects);

}  // namespace vigil::kube

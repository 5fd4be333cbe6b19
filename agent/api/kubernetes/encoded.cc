#include "agent/api/kubernetes/encoded.h"

#include <algorithm>
#include <array>
#include <utility>

#include "agent/api/kubernetes/objects.h"
#include "agent/api/kubernetes/selection.h"

namespace vigil::kube {
namespace {

constexpr std::string_view kMetadataKey = "\"metadata\":";
constexpr std::string_view kResourceVersionKey = "\"resourceVersion\":\"";

const std::string& StringAt(const KubeJson& object, const char* key) {
  static const std::string kEmpty;
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get_ref<const std::string&>() : kEmpty;
}

// The column definitions of each resource, written once.
const std::string& ColumnDefinitionsText(Resource resource) {
  static const std::array<std::string, 5> texts = [] {
    std::array<std::string, 5> out;
    for (const ResourceInfo& info : AllResources()) {
      out[static_cast<size_t>(info.resource)] = Dump(ColumnDefinitions(info.resource));
    }
    return out;
  }();
  return texts[static_cast<size_t>(resource)];
}

void AppendNumber(std::string* out, uint64_t n) { out->append(std::to_string(n)); }

}  // namespace

std::string Dump(const KubeJson& json) {
  return json.dump(-1, ' ', false, KubeJson::error_handler_t::replace);
}

EncodedObject::EncodedObject(Resource resource, const KubeJson& object)
    : resource_(resource), text_(Dump(object)) {
  metadata_begin_ = metadata_end_ = rv_begin_ = rv_end_ = std::string::npos;
  const auto metadata = object.find("metadata");
  if (metadata != object.end() && metadata->is_object()) {
    name_ = StringAt(*metadata, "name");
    namespace_name_ = StringAt(*metadata, "namespace");
    // The first `"metadata":{…}` of the text is the object's own: nothing
    // before it in a codec's object (kind, apiVersion) holds such a key,
    // and a quote inside a string value is escaped.
    const std::string metadata_text = Dump(*metadata);
    const size_t at = text_.find(std::string(kMetadataKey) + metadata_text);
    if (at != std::string::npos) {
      metadata_begin_ = at + kMetadataKey.size();
      metadata_end_ = metadata_begin_ + metadata_text.size();
      const size_t rv = text_.find(kResourceVersionKey, metadata_begin_);
      if (rv != std::string::npos && rv < metadata_end_) {
        rv_begin_ = rv + kResourceVersionKey.size();
        rv_end_ = text_.find('"', rv_begin_);
      }
    }
  }
  resource_version_ = ResourceVersionOf(object);
  labels_ = ObjectLabels(object);
  fields_ = ObjectFields(resource, object);
  TableRowTemplate row = RowTemplate(resource, object);
  cells_.reserve(row.cells.size());
  for (const KubeJson& cell : row.cells) cells_.push_back(cell.is_null() ? "" : Dump(cell));
  ages_ = std::move(row.ages);
  text_.shrink_to_fit();  // kept for the object's life: without a dump's spare room

  bytes_ = sizeof(*this) + text_.capacity() + name_.capacity() + namespace_name_.capacity();
  for (const auto& [k, v] : labels_) bytes_ += 64 + k.capacity() + v.capacity();
  for (const auto& [k, v] : fields_) bytes_ += 64 + k.capacity() + v.capacity();
  for (const std::string& cell : cells_) bytes_ += sizeof(cell) + cell.capacity();
}

bool EncodedObject::Selected(const LabelSelector& labels, const FieldSelector& fields) const {
  if (!labels.empty() && !labels.Matches(labels_)) return false;
  return fields.empty() || fields.Matches(fields_);
}

bool EncodedObject::SameState(const EncodedObject& other) const {
  if (rv_begin_ == std::string::npos || other.rv_begin_ == std::string::npos) {
    return text_ == other.text_;
  }
  const std::string_view a(text_), b(other.text_);
  return a.substr(0, rv_begin_) == b.substr(0, other.rv_begin_) &&
         a.substr(rv_end_) == b.substr(other.rv_end_);
}

void EncodedObject::AppendSpan(std::string* out, size_t begin, size_t end,
                               std::optional<uint64_t> resource_version) const {
  if (!resource_version || rv_begin_ == std::string::npos || rv_begin_ < begin || rv_end_ > end) {
    out->append(text_, begin, end - begin);
    return;
  }
  out->append(text_, begin, rv_begin_ - begin);
  AppendNumber(out, *resource_version);
  out->append(text_, rv_end_, end - rv_end_);
}

void EncodedObject::AppendJson(std::string* out, std::optional<uint64_t> resource_version) const {
  AppendSpan(out, 0, text_.size(), resource_version);
}

void EncodedObject::AppendRow(std::string* out, IncludeObject include, WallTime now,
                              std::optional<uint64_t> resource_version) const {
  out->append("{\"cells\":[");
  size_t age = 0;
  for (size_t i = 0; i < cells_.size(); ++i) {
    if (i > 0) out->push_back(',');
    if (cells_[i].empty() && age < ages_.size() && ages_[age].first == i) {
      out->append(Dump(AgeCell(ages_[age].second, now)));
      ++age;
    } else {
      out->append(cells_[i]);
    }
  }
  out->push_back(']');
  switch (include) {
    case IncludeObject::kNone:
      break;
    case IncludeObject::kMetadata:
      out->append(
          ",\"object\":{\"kind\":\"PartialObjectMetadata\",\"apiVersion\":\"meta.k8s.io/v1\","
          "\"metadata\":");
      if (metadata_begin_ == std::string::npos) {
        out->append("null");
      } else {
        AppendSpan(out, metadata_begin_, metadata_end_, resource_version);
      }
      out->push_back('}');
      break;
    case IncludeObject::kObject:
      out->append(",\"object\":");
      AppendJson(out, resource_version);
      break;
  }
  out->push_back('}');
}

void AppendList(std::string* out, Resource resource, std::span<const EncodedPtr> items,
                uint64_t resource_version) {
  const ResourceInfo& info = Info(resource);
  out->append("{\"kind\":\"");
  out->append(info.list_kind);
  out->append("\",\"apiVersion\":\"");
  out->append(info.api_version);
  out->append("\",\"metadata\":{\"resourceVersion\":\"");
  AppendNumber(out, resource_version);
  out->append("\"},\"items\":[");
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out->push_back(',');
    items[i]->AppendJson(out);
  }
  out->append("]}");
}

void AppendTable(std::string* out, Resource resource, std::span<const EncodedPtr> items,
                 uint64_t resource_version, WallTime now, const TableOptions& options,
                 std::optional<uint64_t> row_resource_version) {
  out->append(
      "{\"kind\":\"Table\",\"apiVersion\":\"meta.k8s.io/v1\",\"metadata\":{\"resourceVersion\":\"");
  AppendNumber(out, resource_version);
  out->append("\"}");
  if (options.column_definitions) {
    out->append(",\"columnDefinitions\":");
    out->append(ColumnDefinitionsText(resource));
  }
  out->append(",\"rows\":[");
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out->push_back(',');
    items[i]->AppendRow(out, options.include_object, now, row_resource_version);
  }
  out->append("]}");
}

void AppendWatchLineHead(std::string* out, WatchEventType type) {
  out->append("{\"type\":\"");
  out->append(WatchEventTypeName(type));
  out->append("\",\"object\":");
}

void AppendWatchLineEnd(std::string* out) { out->append("}\n"); }

void SortEncoded(std::vector<EncodedPtr>& objects) {
  std::stable_sort(objects.begin(), objects.end(), [](const EncodedPtr& a, const EncodedPtr& b) {
    if (a->namespace_name() != b->namespace_name())
      return a->namespace_name() < b->namespace_name();
    return a->name() < b->name();
  });
}

}  // namespace vigil::kube

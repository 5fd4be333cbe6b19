#include "agent/cli/kubectl_printer.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <iterator>
#include <set>
#include <unordered_set>
#include <utility>

#include "common/time_format.h"

namespace vigil {
namespace {

using nlohmann::json;
using Row = std::vector<std::string>;

// kubectl's printer tabwriter (printers.GetNewTabWriter) and describe's.
constexpr size_t kTablePadding = 3;
constexpr size_t kTableMinWidth = 6;
constexpr size_t kDescribePadding = 2;
constexpr std::string_view kDescribeIndent = "  ";

// --- Reading the API's JSON without ever throwing ---------------------------

const json& Field(const json& object, const char* key) {
  static const json kMissing;
  if (!object.is_object()) return kMissing;
  const auto it = object.find(key);
  return it == object.end() ? kMissing : *it;
}

std::string StringField(const json& object, const char* key) {
  const json& value = Field(object, key);
  return value.is_string() ? value.get<std::string>() : std::string();
}

bool BoolField(const json& object, const char* key) {
  const json& value = Field(object, key);
  return value.is_boolean() && value.get<bool>();
}

int64_t IntField(const json& object, const char* key) {
  const json& value = Field(object, key);
  return value.is_number_integer() ? value.get<int64_t>() : 0;
}

const json& ArrayField(const json& object, const char* key) {
  static const json kEmpty = json::array();
  const json& value = Field(object, key);
  return value.is_array() ? value : kEmpty;
}

// Items of a list: `items` itself when it is an array, else its "items".
const json& Items(const json& items) {
  return items.is_array() ? items : ArrayField(items, "items");
}

// What a table prints: an array's elements, a list's items, or one object
// (`{object}` makes a single object, not an array, in nlohmann::json).
std::vector<const json*> Objects(const json& items) {
  std::vector<const json*> out;
  if (items.is_object() && !items.contains("items")) {
    out.push_back(&items);
  } else {
    for (const json& item : Items(items)) out.push_back(&item);
  }
  return out;
}

std::string Join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += separator;
    out += parts[i];
  }
  return out;
}

std::string OrNone(std::string text) { return text.empty() ? "<none>" : text; }

// --- Cells ---------------------------------------------------------------------

// now - time in whole seconds, truncated toward zero as Go's int(d.Seconds()),
// without overflowing nanoseconds for times centuries apart.
std::chrono::seconds SecondsSince(WallTime time, WallTime now) {
  using std::chrono::seconds;
  const auto now_seconds = std::chrono::floor<seconds>(now);
  const auto time_seconds = std::chrono::floor<seconds>(time);
  seconds whole = now_seconds - time_seconds;
  const auto rest = (now - now_seconds) - (time - time_seconds);  // within (-1s, 1s)
  if (whole > seconds(0) && rest < rest.zero()) whole -= seconds(1);
  if (whole < seconds(0) && rest > rest.zero()) whole += seconds(1);
  return whole;
}

std::string Age(const json& timestamp, WallTime now) {
  if (!timestamp.is_string()) return "<unknown>";
  const Result<WallTime> time = ParseTime(timestamp.get<std::string>());
  if (!time.ok()) return "<unknown>";
  return HumanDuration(SecondsSince(*time, now));
}

// "ip:port" as Go's net.JoinHostPort writes it; the bare address without a port.
std::string HostPort(const json& endpoint) {
  const std::string address = StringField(endpoint, "address");
  if (!Field(endpoint, "port").is_number_integer()) return address;
  const std::string port = std::to_string(IntField(endpoint, "port"));
  if (address.find(':') != std::string::npos) return "[" + address + "]:" + port;
  return address + ":" + port;
}

bool IsReady(const json& endpoint) { return BoolField(Field(endpoint, "conditions"), "ready"); }

size_t CountReady(const json& endpoints) {
  const json& list = ArrayField(endpoints, "endpoints");
  return static_cast<size_t>(std::count_if(list.begin(), list.end(), IsReady));
}

// "k=v" sorted by key, as labels.FormatLabels (nlohmann::json keeps object
// keys sorted); each one a separate entry.
std::vector<std::string> LabelList(const json& labels) {
  std::vector<std::string> out;
  if (!labels.is_object()) return out;
  for (const auto& [key, value] : labels.items()) {
    out.push_back(key + "=" +
                  (value.is_string() ? value.get<std::string>()
                                     : value.dump(-1, ' ', false, json::error_handler_t::replace)));
  }
  return out;
}

std::string Protocol(const json& port) {
  const std::string protocol = StringField(port, "protocol");
  return protocol.empty() ? "TCP" : protocol;
}

// PORT(S): "8080/TCP,9090/TCP".
std::string PortsColumn(const json& ports) {
  std::vector<std::string> parts;
  for (const json& port : Items(ports)) {
    parts.push_back(std::to_string(IntField(port, "port")) + "/" + Protocol(port));
  }
  return OrNone(Join(parts, ","));
}

// Describe's "http 8080/TCP", "<unset> 9090/TCP" (kubectl's word for no name).
std::vector<std::string> PortList(const json& ports) {
  std::vector<std::string> out;
  for (const json& port : Items(ports)) {
    const std::string name = StringField(port, "name");
    out.push_back((name.empty() ? "<unset>" : name) + " " + std::to_string(IntField(port, "port")) +
                  "/" + Protocol(port));
  }
  return out;
}

std::string NodesColumn(const json& endpoints) {
  std::set<std::string> nodes;
  for (const json& endpoint : ArrayField(endpoints, "endpoints")) {
    const std::string node = StringField(endpoint, "node");
    if (!node.empty()) nodes.insert(node);
  }
  return OrNone(Join(std::vector<std::string>(nodes.begin(), nodes.end()), ","));
}

// --- Alignment, as Go's text/tabwriter ------------------------------------------

// tabwriter counts UTF-8 code points, not bytes.
size_t DisplayWidth(std::string_view text) {
  return static_cast<size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

// The length of the valid UTF-8 sequence at text[i] and its code point, or
// 0 when the bytes there are not one.
size_t Utf8At(std::string_view text, size_t i, char32_t* code_point) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  const size_t length = lead < 0xC2 ? 0 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : lead < 0xF5 ? 4 : 0;
  if (length == 0 || i + length > text.size()) return 0;
  char32_t cp = lead & (0x7F >> length);
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  // Overlong forms, surrogates and code points past U+10FFFF.
  if ((length == 3 && cp < 0x800) || (length == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
      (cp >= 0xD800 && cp <= 0xDFFF)) {
    return 0;
  }
  *code_point = cp;
  return length;
}

// What must not reach a terminal raw: it moves the cursor, ends the line or
// reorders what follows (C1 controls, the line and paragraph separators, the
// bidirectional overrides and isolates).
bool IsTerminalControl(char32_t cp) {
  return (cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 ||
         (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

// A cell as a terminal may show it: text from the server (a name, a label, a
// probe message holding a target's or a command's output) must not break the
// table's line or drive the terminal. Control characters become spaces and
// bytes that are not UTF-8 become U+FFFD, as a terminal would show them.
std::string CleanCell(std::string_view cell) {
  std::string out;
  out.reserve(cell.size());
  for (size_t i = 0; i < cell.size();) {
    const auto c = static_cast<unsigned char>(cell[i]);
    if (c < 0x80) {
      out += (c < 0x20 || c == 0x7f) ? ' ' : static_cast<char>(c);
      ++i;
      continue;
    }
    char32_t cp = 0;
    const size_t length = Utf8At(cell, i, &cp);
    if (length == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      if (IsTerminalControl(cp)) {
        out += ' ';
      } else {
        out.append(cell.substr(i, length));
      }
      i += length;
    }
  }
  return out;
}

// Every cell but a row's last is padded to its column's width: the widest
// such cell plus `padding`, at least `min_width`. `widths` both supplies
// widths (they only grow) and receives them.
std::string Align(const std::vector<Row>& rows, size_t padding, size_t min_width,
                  std::string_view indent, std::vector<size_t>* widths) {
  std::vector<Row> clean;
  for (const Row& row : rows) {
    Row& out = clean.emplace_back();
    for (const std::string& cell : row) out.push_back(CleanCell(cell));
  }
  for (const Row& row : clean) {
    for (size_t i = 0; i + 1 < row.size(); ++i) {
      if (widths->size() <= i) widths->resize(i + 1, 0);
      (*widths)[i] = std::max({(*widths)[i], min_width, DisplayWidth(row[i]) + padding});
    }
  }
  std::string out;
  for (const Row& row : clean) {
    std::string line(indent);
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append((*widths)[i] - DisplayWidth(row[i]), ' ');
    }
    line.erase(line.find_last_not_of(' ') + 1);
    out += line + "\n";
  }
  return out;
}

std::string PrintTable(const Row& header, const std::vector<Row>& rows, const TableOptions& options,
                       TableLayout* layout) {
  if (rows.empty()) return "";
  std::vector<Row> all;
  if (options.header) all.push_back(header);
  all.insert(all.end(), rows.begin(), rows.end());
  TableLayout local;
  return Align(all, kTablePadding, kTableMinWidth, "", &(layout ? *layout : local).widths);
}

// --- YAML -----------------------------------------------------------------------

// go-yaml's test for a number, without a regex (GCC 12's <regex> trips
// -Wmaybe-uninitialized in the sanitizer build). On the text less its
// underscores: [-+]?(0b[01]+|0o[0-7]+|0x[0-9a-fA-F]+|[0-9]+) for an int,
// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? for a float; on the text
// itself, [-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)? for YAML 1.1's base 60.
bool IsYamlNumber(std::string_view text) {
  constexpr std::string_view kDigits = "0123456789";
  size_t i = 0;
  const auto span = [&](std::string_view chars) {
    const size_t start = i;
    while (i < text.size() && chars.find(text[i]) != std::string_view::npos) ++i;
    return i - start;
  };
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) text.remove_prefix(1);
  if (!text.empty() && text[0] >= '0' && text[0] <= '9') {  // base 60?
    span("0123456789_");
    size_t groups = 0;
    while (i < text.size() && text[i] == ':') {
      ++i;
      const size_t n = span(kDigits);
      if (n == 0 || n > 2 || (n == 2 && text[i - 2] > '5')) return false;
      ++groups;
    }
    if (groups > 0) {
      if (i < text.size() && text[i] == '.') {
        ++i;
        span("0123456789_");
      }
      return i == text.size();
    }
  }
  std::string plain;
  std::copy_if(text.begin(), text.end(), std::back_inserter(plain),
               [](char c) { return c != '_'; });
  text = plain;
  i = 0;
  if (text.empty()) return false;
  if (text.size() > 2 && text[0] == '0' &&
      std::string_view("box").find(text[1]) != std::string_view::npos) {
    const std::string_view allowed = text[1] == 'b'   ? "01"
                                     : text[1] == 'o' ? "01234567"
                                                      : "0123456789abcdefABCDEF";
    i = 2;
    return span(allowed) > 0 && i == text.size();
  }
  if (text[0] == '.') {
    ++i;
    if (span(kDigits) == 0) return false;
  } else {
    if (span(kDigits) == 0) return false;
    if (i < text.size() && text[i] == '.') {
      ++i;
      span(kDigits);
    }
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    if (span(kDigits) == 0) return false;
  }
  return i == text.size();
}

// YAML 1.1's timestamp as far as a resolver looks: [0-9]{4}-[0-9]{1,2}-[0-9]{1,2}
// then nothing, or "T", "t" or " " and anything.
bool IsYamlTimestamp(std::string_view text) {
  size_t i = 0;
  const auto digits = [&](size_t min, size_t max) {
    size_t n = 0;
    while (i < text.size() && n < max && text[i] >= '0' && text[i] <= '9') ++i, ++n;
    return n >= min;
  };
  const auto dash = [&] { return i < text.size() && text[i++] == '-'; };
  if (!digits(4, 4) || !dash() || !digits(1, 2) || !dash() || !digits(1, 2)) return false;
  return i == text.size() || text[i] == 'T' || text[i] == 't' || text[i] == ' ';
}

// Would YAML (1.1, as go-yaml resolves plain scalars for kubectl) read `text`
// as something other than a string: null, a bool, a number, a timestamp?
bool LooksLikeAnotherType(const std::string& text) {
  static const std::unordered_set<std::string> kWords = {
      "~",     "null",  "Null",  "NULL",  "y",     "Y",    "yes",  "Yes",   "YES",   "n",
      "N",     "no",    "No",    "NO",    "true",  "True", "TRUE", "false", "False", "FALSE",
      "on",    "On",    "ON",    "off",   "Off",   "OFF",  ".inf", ".Inf",  ".INF",  "+.inf",
      "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN",  "<<"};
  if (kWords.count(text) > 0) return true;
  if (text.empty() || std::string_view("0123456789+-.").find(text[0]) == std::string_view::npos) {
    return false;
  }
  return IsYamlNumber(text) || IsYamlTimestamp(text);
}

// A string that can stay plain without asking the emitter: the common case
// (names, addresses, label values), kept cheap for lists of 10,000 endpoints.
bool IsPlainSafe(const std::string& text) {
  if (text.empty() || !std::isalnum(static_cast<unsigned char>(text[0]))) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
           c == '/';
  });
}

// C0 and C1 control characters and DEL, which YAML does not allow raw.
bool IsControl(const std::string& text, size_t i) {
  const auto byte = static_cast<unsigned char>(text[i]);
  if (byte < 0x20 || byte == 0x7f) return true;
  return byte == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
         static_cast<unsigned char>(text[i + 1]) <= 0x9f;  // U+0080..U+009F
}

// yaml-cpp 0.7 writes DEL, C1 controls and invalid UTF-8 raw, none of which
// YAML allows; we escape strings holding any control character ourselves.
bool NeedsOwnEscapes(const std::string& text) {
  bool non_ascii = false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (IsControl(text, i)) return true;
    non_ascii |= static_cast<unsigned char>(text[i]) >= 0x80;
  }
  if (!non_ascii) return false;
  try {
    (void)json(text).dump();
    return false;
  } catch (const json::type_error&) {  // invalid UTF-8
    return true;
  }
}

// JSON's string syntax is YAML's double-quoted one, but for the control
// characters JSON leaves raw. Invalid UTF-8 becomes U+FFFD.
std::string JsonStyleQuoted(const std::string& text) {
  const std::string quoted = json(text).dump(-1, ' ', false, json::error_handler_t::replace);
  std::string out;
  for (size_t i = 0; i < quoted.size(); ++i) {
    if (!IsControl(quoted, i)) {
      out += quoted[i];
      continue;
    }
    const bool c1 = static_cast<unsigned char>(quoted[i]) == 0xc2;
    if (c1) ++i;
    char escape[8];
    std::snprintf(escape, sizeof escape, "\\u%04x", static_cast<unsigned char>(quoted[i]));
    out += escape;
  }
  return out;
}

std::string YamlString(const std::string& text) {
  if (NeedsOwnEscapes(text)) return JsonStyleQuoted(text);
  // "---" and "..." at the start of a line would end the document.
  const bool typed =
      LooksLikeAnotherType(text) || text.starts_with("---") || text.starts_with("...");
  if (!typed && IsPlainSafe(text)) return text;
  YAML::Emitter emitter;
  if (typed) emitter << YAML::DoubleQuoted;
  emitter << text;
  if (!emitter.good()) return JsonStyleQuoted(text);
  return emitter.c_str();
}

bool IsInline(const json& value) { return !value.is_structured() || value.empty(); }

std::string YamlInline(const json& value) {
  switch (value.type()) {
    case json::value_t::object:
      return "{}";
    case json::value_t::array:
      return "[]";
    case json::value_t::null:
      return "null";
    case json::value_t::string:
      return YamlString(value.get<std::string>());
    default:
      return value.dump();  // bool, number
  }
}

void AppendSequence(const json& sequence, size_t indent, bool continues_line, std::string* out);

// A mapping's entries at `indent`; the first one continues the current line
// ("- name: ...") when `continues_line`.
void AppendMapping(const json& mapping, size_t indent, bool continues_line, std::string* out) {
  bool first = true;
  for (const auto& [key, value] : mapping.items()) {
    if (!first || !continues_line) out->append(indent, ' ');
    first = false;
    *out += YamlString(key) + ":";
    if (IsInline(value)) {
      *out += " " + YamlInline(value) + "\n";
    } else if (value.is_object()) {
      *out += "\n";
      AppendMapping(value, indent + 2, false, out);
    } else {
      *out += "\n";
      AppendSequence(value, indent, false, out);  // go-yaml does not indent these
    }
  }
}

void AppendSequence(const json& sequence, size_t indent, bool continues_line, std::string* out) {
  bool first = true;
  for (const json& item : sequence) {
    if (!first || !continues_line) out->append(indent, ' ');
    first = false;
    *out += "- ";
    if (IsInline(item)) {
      *out += YamlInline(item) + "\n";
    } else if (item.is_object()) {
      AppendMapping(item, indent + 2, true, out);
    } else {
      AppendSequence(item, indent + 2, true, out);
    }
  }
}

// --- Describe ---------------------------------------------------------------------

// "Label:" then its values one per line under one another; "<none>" for none.
void AddField(std::vector<Row>* rows, const std::string& label, std::vector<std::string> values) {
  if (values.empty()) values.push_back("<none>");
  for (size_t i = 0; i < values.size(); ++i) rows->push_back({i == 0 ? label : "", values[i]});
}

std::string Section(const std::string& title, const std::vector<Row>& table) {
  if (table.size() <= 1) return title + ":  <none>\n";
  std::vector<size_t> widths;
  return title + ":\n" + Align(table, kDescribePadding, 0, kDescribeIndent, &widths);
}

std::string LastProbe(const json& endpoint, WallTime now) {
  const json& time = Field(endpoint, "lastProbeTime");
  if (time.is_null()) return "<never>";
  const std::string age = Age(time, now);
  return age == "<unknown>" ? age : age + " ago";
}

// The Addresses and NotReadyAddresses tables; probe columns when `probes`.
std::string AddressSections(const json& endpoints, WallTime now, bool probes) {
  Row header = {"ADDRESS", "NODE"};
  if (probes) header.insert(header.end(), {"LAST PROBE", "RESULT", "REASON", "MESSAGE"});
  header.push_back("LAST TRANSITION");
  std::vector<Row> ready = {header};
  std::vector<Row> not_ready = {header};
  for (const json& endpoint : ArrayField(endpoints, "endpoints")) {
    Row row = {HostPort(endpoint), OrNone(StringField(endpoint, "node"))};
    if (probes) {
      row.insert(row.end(),
                 {LastProbe(endpoint, now), OrNone(StringField(endpoint, "lastResult")),
                  StringField(endpoint, "lastReason"), StringField(endpoint, "message")});
    }
    row.push_back(Age(Field(endpoint, "lastTransitionTime"), now));
    (IsReady(endpoint) ? ready : not_ready).push_back(std::move(row));
  }
  return Section("Addresses", ready) + Section("NotReadyAddresses", not_ready);
}

std::string TransitionsSection(const json& transitions, WallTime now) {
  std::vector<Row> table = {{"AGE", "ENDPOINT", "NODE", "TO", "REASON"}};
  for (const json& t : Items(transitions)) {
    table.push_back({Age(Field(t, "time"), now), StringField(t, "endpoint"),
                     OrNone(StringField(t, "node")), BoolField(t, "ready") ? "ready" : "not ready",
                     StringField(t, "reason")});
  }
  return Section("Transitions", table);
}

std::string Describe(const json& endpoints, const json& transitions, WallTime now, bool service) {
  std::vector<Row> fields;
  AddField(&fields, "Name:", {StringField(endpoints, "name")});
  // The API always says; an object without it shows none.
  if (const std::string ns = StringField(endpoints, "namespace"); !ns.empty()) {
    AddField(&fields, "Namespace:", {ns});
  }
  AddField(&fields, "Labels:", LabelList(Field(endpoints, "labels")));
  AddField(&fields, "Ports:", PortList(Field(endpoints, "ports")));
  AddField(&fields, "Ready:",
           {std::to_string(CountReady(endpoints)) + "/" +
            std::to_string(ArrayField(endpoints, "endpoints").size())});
  if (service) AddField(&fields, "Endpoints:", {FormatEndpointsColumn(endpoints)});
  std::vector<size_t> widths;
  return Align(fields, kDescribePadding, 0, "", &widths) +
         AddressSections(endpoints, now, /*probes=*/!service) +
         TransitionsSection(transitions, now);
}

}  // namespace

std::string FormatEndpointsColumn(const nlohmann::json& endpoints) {
  constexpr size_t kMax = 3;  // kubectl's formatEndpoints
  std::vector<std::string> shown;
  // Several nodes may probe one address (etcd registry): it counts once.
  std::set<std::string> seen;
  size_t ready = 0;
  for (const json& endpoint : ArrayField(endpoints, "endpoints")) {
    if (!IsReady(endpoint)) continue;
    std::string host_port = HostPort(endpoint);
    if (!seen.insert(host_port).second) continue;
    if (++ready <= kMax) shown.push_back(std::move(host_port));
  }
  if (ready == 0) return "<none>";
  std::string out = Join(shown, ",");
  if (ready > kMax) out += " + " + std::to_string(ready - kMax) + " more...";
  return out;
}

std::string FormatEndpointsTable(const nlohmann::json& items, WallTime now,
                                 const TableOptions& options, TableLayout* layout) {
  Row header = {"NAME", "ENDPOINTS", "AGE"};
  if (options.wide) header.insert(header.end(), {"NODES", "LABELS"});
  if (options.namespaces) header.insert(header.begin(), "NAMESPACE");
  std::vector<Row> rows;
  for (const json* object : Objects(items)) {
    const json& item = *object;
    Row& row = rows.emplace_back(Row{StringField(item, "name"), FormatEndpointsColumn(item),
                                     Age(Field(item, "creationTimestamp"), now)});
    if (options.wide) {
      row.insert(row.end(),
                 {NodesColumn(item), OrNone(Join(LabelList(Field(item, "labels")), ","))});
    }
    if (options.namespaces) row.insert(row.begin(), StringField(item, "namespace"));
  }
  return PrintTable(header, rows, options, layout);
}

std::string FormatServicesTable(const nlohmann::json& items, WallTime now,
                                const TableOptions& options, TableLayout* layout) {
  Row header = {"NAME", "READY", "PORT(S)", "AGE"};
  if (options.wide) header.push_back("LABELS");
  if (options.namespaces) header.insert(header.begin(), "NAMESPACE");
  std::vector<Row> rows;
  for (const json* object : Objects(items)) {
    const json& item = *object;
    const int64_t ready = IntField(item, "ready");
    Row& row = rows.emplace_back(
        Row{StringField(item, "name"),
            std::to_string(ready) + "/" + std::to_string(ready + IntField(item, "notReady")),
            PortsColumn(Field(item, "ports")), Age(Field(item, "creationTimestamp"), now)});
    if (options.wide) row.push_back(OrNone(Join(LabelList(Field(item, "labels")), ",")));
    if (options.namespaces) row.insert(row.begin(), StringField(item, "namespace"));
  }
  return PrintTable(header, rows, options, layout);
}

bool SeveralNamespaces(const nlohmann::json& items) {
  std::set<std::string> namespaces;
  for (const json* object : Objects(items)) namespaces.insert(StringField(*object, "namespace"));
  return namespaces.size() > 1;
}

nlohmann::json ListOf(const nlohmann::json& items) {
  return {{"kind", "List"}, {"items", items.is_array() ? items : json::array()}};
}

std::string FormatJson(const nlohmann::json& value) {
  return value.dump(4, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string FormatYaml(const nlohmann::json& value) {
  std::string out;
  if (IsInline(value)) {
    out = YamlInline(value) + "\n";
  } else if (value.is_object()) {
    AppendMapping(value, 0, false, &out);
  } else {
    AppendSequence(value, 0, false, &out);
  }
  return out;
}

std::string DescribeEndpoints(const nlohmann::json& endpoints, const nlohmann::json& transitions,
                              WallTime now) {
  return Describe(endpoints, transitions, now, /*service=*/false);
}

std::string DescribeService(const nlohmann::json& endpoints, const nlohmann::json& transitions,
                            WallTime now) {
  return Describe(endpoints, transitions, now, /*service=*/true);
}

}  // namespace vigil

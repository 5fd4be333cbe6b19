#include <iostream>

#include "agent/cli/api_client.h"
#include "agent/cli/commands.h"
#include "agent/cli/flags.h"
#include "agent/cli/kubectl_printer.h"
#include "agent/cli/resources.h"

namespace vigil {
namespace {

struct GetRequest {
  Resource resource = Resource::kEndpoints;
  std::string namespace_name;  // -n; "": every namespace
  std::string name;
  std::string selector;
  std::string output;  // "", "wide", "json", "yaml"
  bool watch = false;
};

std::string ListTarget(const GetRequest& r) {
  std::string target =
      r.resource == Resource::kEndpoints ? "/vigil/v1/endpoints" : "/vigil/v1/services";
  if (r.resource == Resource::kEndpoints && !r.name.empty()) target += "/" + QueryEscape(r.name);
  std::string query;
  if (!r.namespace_name.empty()) query += "&namespace=" + QueryEscape(r.namespace_name);
  if (!r.selector.empty()) query += "&labelSelector=" + QueryEscape(r.selector);
  if (!query.empty()) target += "?" + query.substr(1);
  return target;
}

std::string WatchTarget(const GetRequest& r, const std::string& version) {
  const std::string target = ListTarget(r);
  return target + (target.find('?') == std::string::npos ? "?" : "&") +
         "watch=true&resourceVersion=" + QueryEscape(version);
}

// The objects a list answer holds, with `get services NAME` narrowed to NAME.
Result<nlohmann::json> Items(const GetRequest& r, const nlohmann::json& answer) {
  if (r.resource == Resource::kEndpoints && !r.name.empty()) return nlohmann::json::array({answer});
  nlohmann::json items = answer.value("items", nlohmann::json::array());
  if (r.name.empty()) return items;
  nlohmann::json named = nlohmann::json::array();
  std::string namespaces;
  for (const nlohmann::json& item : items) {
    if (item.value("name", "") != r.name) continue;
    named.push_back(item);
    namespaces += (namespaces.empty() ? "" : ", ") + item.value("namespace", "");
  }
  if (named.size() == 1) return named;
  if (named.empty()) {
    return Status::Error(
        "services \"" + r.name + "\" not found" +
        (r.namespace_name.empty() ? "" : " in namespace \"" + r.namespace_name + "\""));
  }
  return Status::Error("services \"" + r.name + "\" is in several namespaces (" + namespaces +
                       "): add -n NAMESPACE");
}

class Printer {
 public:
  Printer(const GetRequest& request, std::ostream& out) : request_(request), out_(out) {}

  // The answer to a list: a table, or the objects.
  void List(const nlohmann::json& items, std::ostream& err) {
    if (request_.output == "json" || request_.output == "yaml") {
      const nlohmann::json value =
          request_.name.empty() && !request_.watch ? ListOf(items) : items.at(0);
      if (request_.name.empty() && request_.watch) {
        for (const nlohmann::json& item : items) Object(item);
        return;
      }
      out_ << (request_.output == "json" ? FormatJson(value) : FormatYaml(value));
      return;
    }
    // The first table decides, for a watch's rows too.
    namespaces_ = request_.namespace_name.empty() && SeveralNamespaces(items);
    const std::string table = Table(items, /*header=*/true);
    if (table.empty()) {
      err << kNoResourcesFound << "\n";
    } else {
      out_ << table;
    }
  }

  // One watch event's object: a row, or the object.
  void Event(const nlohmann::json& object) {
    if (request_.output == "json" || request_.output == "yaml") return Object(object);
    out_ << Table(nlohmann::json::array({object}), /*header=*/!printed_header_);
  }

 private:
  void Object(const nlohmann::json& object) {
    if (request_.output == "json") {
      out_ << FormatJson(object);
    } else {
      out_ << "---\n" << FormatYaml(object);
    }
    out_.flush();
  }

  std::string Table(const nlohmann::json& items, bool header) {
    const TableOptions options{request_.output == "wide", header, namespaces_};
    const WallTime now = std::chrono::system_clock::now();
    std::string table = request_.resource == Resource::kEndpoints
                            ? FormatEndpointsTable(items, now, options, &layout_)
                            : FormatServicesTable(items, now, options, &layout_);
    printed_header_ = printed_header_ || (header && !table.empty());
    return table;
  }

  const GetRequest& request_;
  std::ostream& out_;
  TableLayout layout_;
  bool printed_header_ = false;
  bool namespaces_ = false;
};

// Lists, then follows the changes until the stream fails. A version the
// server no longer keeps (410) means list again, as a Kubernetes reflector does.
int Watch(const ApiClient& client, const GetRequest& request, Printer& printer, std::ostream& out,
          std::ostream& err) {
  while (true) {
    Result<nlohmann::json> answer = client.Get(ListTarget(request));
    if (!answer.ok()) {
      err << "vigil get: " << CliMessage(answer.status().message()) << "\n";
      return kExitFailure;
    }
    // Watching one object that does not exist yet waits for it, as kubectl does.
    const bool missing_object = request.resource == Resource::kEndpoints && !request.name.empty() &&
                                answer->value("kind", "") != "Endpoints";
    if (!missing_object) {
      Result<nlohmann::json> items = Items(request, *answer);
      if (items.ok()) printer.List(*items, err);
    }
    out.flush();
    const std::string version = answer->value("resourceVersion", "0");
    bool expired = false;
    const Status status = client.Watch(WatchTarget(request, version), [&](const nlohmann::json& e) {
      const std::string type = e.value("type", "");
      const nlohmann::json& object = e.contains("object") ? e["object"] : nlohmann::json();
      if (type == "ERROR") {
        expired = object.value("code", 0) == 410;
        if (!expired) err << "vigil get: " << object.value("message", "watch failed") << "\n";
        return false;
      }
      if (type == "BOOKMARK") return true;
      if (!request.name.empty() && object.value("name", "") != request.name) return true;
      if (!request.namespace_name.empty() &&
          object.value("namespace", "") != request.namespace_name)
        return true;
      printer.Event(object);
      out.flush();
      return true;
    });
    if (expired) continue;
    if (!status.ok()) err << "vigil get: " << status.message() << "\n";
    return kExitFailure;
  }
}

}  // namespace

int RunGetCommand(CommandArgs args, std::ostream& out, std::ostream& err) {
  GetRequest request;
  std::string server;
  FlagSet flags;
  flags.String("namespace", "n", "NAMESPACE",
               "Only the services of this namespace (default: every namespace)",
               &request.namespace_name);
  flags.String("selector", "l", "SELECTOR", "Label selector, e.g. app=alpaca,env in (prod)",
               &request.selector);
  flags.String("output", "o", "FORMAT", "Output: wide, json or yaml (default: a table)",
               &request.output);
  flags.Bool("watch", "w", "After listing, print each change as it happens", &request.watch);
  flags.String("server", "", "URL",
               std::string("The agent's API (default: $VIGIL_SERVER, else ") + kDefaultServer + ")",
               &server);
  if (Status s = flags.Parse(args); !s.ok()) {
    err << "vigil get: " << s.message() << "\n";
    return kExitUsage;
  }
  if (flags.help_requested()) {
    out << "List services or endpoints, as kubectl get does: of every namespace, with a\n"
           "NAMESPACE column when they are in more than one, unless -n names one. A\n"
           "name used in several namespaces needs -n.\n\n"
           "Usage:\n  vigil get services|endpoints [NAME] [FLAGS]\n\n"
           "Examples:\n"
           "  vigil get endpoints                  # NAME  ENDPOINTS  AGE\n"
           "  vigil get endpoints -w               # and every change after\n"
           "  vigil get services -l app=alpaca -o wide\n"
           "  vigil get endpoints alpaca-prod -o yaml\n"
           "  vigil get endpoints alpaca-prod -n shop\n\n"
        << flags.Usage();
    return kExitOk;
  }
  const std::vector<std::string>& words = flags.positionals();
  if (words.empty() || words.size() > 2) {
    err << "vigil get: want a resource (services or endpoints) and at most one name\n";
    return kExitUsage;
  }
  const std::optional<Resource> resource = ParseResource(words[0]);
  if (!resource) {
    err << "vigil get: unknown resource \"" << words[0] << "\" (want services or endpoints)\n";
    return kExitUsage;
  }
  request.resource = *resource;
  if (words.size() == 2) request.name = words[1];
  if (!request.output.empty() && request.output != "wide" && request.output != "json" &&
      request.output != "yaml") {
    err << "vigil get: unknown output format \"" << request.output
        << "\" (want wide, json or yaml)\n";
    return kExitUsage;
  }
  Result<std::unique_ptr<ApiClient>> client = ApiClient::Create(ServerUrl(server));
  if (!client.ok()) {
    err << "vigil get: " << client.status().message() << "\n";
    return kExitUsage;
  }

  Printer printer(request, out);
  if (request.watch) return Watch(**client, request, printer, out, err);
  Result<nlohmann::json> answer = (*client)->Get(ListTarget(request));
  if (!answer.ok()) {
    err << "vigil get: " << CliMessage(answer.status().message()) << "\n";
    return kExitFailure;
  }
  Result<nlohmann::json> items = Items(request, *answer);
  if (!items.ok()) {
    err << "vigil get: " << items.status().message() << "\n";
    return kExitFailure;
  }
  printer.List(*items, err);
  return kExitOk;
}

}  // namespace vigil

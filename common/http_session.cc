#include "common/http_session.h"

#include <curl/curl.h>

#include <algorithm>

namespace vigil {
namespace {

CURL* Easy(void* p) { return static_cast<CURL*>(p); }
CURLM* Multi(void* p) { return static_cast<CURLM*>(p); }

long Millis(std::chrono::milliseconds d) {
  return static_cast<long>(std::max<int64_t>(d.count(), 0));
}

}  // namespace

struct HttpSession::Transfer {
  const Request* request = nullptr;
  CURL* easy = nullptr;
  int http_status = 0;
  size_t header_bytes = 0;
  uint64_t body_bytes = 0;
  Failure refused = Failure::kNone;  // why a callback ended the transfer
};

HttpSession::HttpSession() {
  // Reference-counted, and thread-safe in this libcurl ("threadsafe" feature).
  initialized_ = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  if (!initialized_) return;
  easy_ = curl_easy_init();
  multi_ = curl_multi_init();
}

HttpSession::~HttpSession() {
  if (multi_ != nullptr) curl_multi_cleanup(Multi(multi_));
  if (easy_ != nullptr) curl_easy_cleanup(Easy(easy_));
  if (initialized_) curl_global_cleanup();
}

void HttpSession::Wake() {
  if (multi_ != nullptr) curl_multi_wakeup(Multi(multi_));
}

bool HttpSession::ValidUrl(const std::string& url) {
  CURLU* parsed = curl_url();
  if (parsed == nullptr) return false;
  bool valid = false;
  char* scheme = nullptr;
  char* host = nullptr;
  if (curl_url_set(parsed, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK &&
      curl_url_get(parsed, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
      curl_url_get(parsed, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
    const std::string s = scheme;
    valid = (s == "http" || s == "https") && host[0] != '\0' &&
            (url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0);
  }
  curl_free(scheme);
  curl_free(host);
  curl_url_cleanup(parsed);
  return valid;
}

void HttpSession::AppendCapped(std::string* body, std::string_view data, size_t cap) {
  const size_t need = body->size() + data.size();
  if (need > body->capacity()) body->reserve(std::max(need, std::min(2 * body->capacity(), cap)));
  body->append(data);
}

size_t HttpSession::OnHeader(char*, size_t size, size_t count, void* p) {
  auto* transfer = static_cast<Transfer*>(p);
  const size_t n = size * count;
  transfer->header_bytes += n;
  // A line over the cap never gets here whole: libcurl refuses lines over
  // its own 100 KB; ours is lower.
  if (n > kMaxHeaderLineBytes || transfer->header_bytes > kMaxHeaderBytes) {
    transfer->refused = Failure::kHeaderTooLarge;
    return 0;
  }
  return n;
}

size_t HttpSession::OnBody(char* data, size_t size, size_t count, void* p) {
  auto* transfer = static_cast<Transfer*>(p);
  const size_t n = size * count;
  if (transfer->http_status == 0) {
    long status = 0;
    curl_easy_getinfo(transfer->easy, CURLINFO_RESPONSE_CODE, &status);
    transfer->http_status = static_cast<int>(status);
  }
  transfer->body_bytes += n;
  const uint64_t cap = transfer->request->max_body_bytes;
  if (cap > 0 && transfer->body_bytes > cap) {
    transfer->refused = Failure::kBodyTooLarge;
    return 0;
  }
  if (transfer->request->on_body &&
      !transfer->request->on_body(transfer->http_status, std::string_view(data, n))) {
    transfer->refused = Failure::kStopped;
    return 0;
  }
  return n;
}

HttpSession::Outcome HttpSession::Perform(const Request& request) {
  Outcome outcome;
  if (easy_ == nullptr || multi_ == nullptr) {
    outcome.failure = Failure::kOther;
    outcome.error = "libcurl could not be set up";
    return outcome;
  }
  if (!ValidUrl(request.url)) {
    outcome.failure = Failure::kBadUrl;
    return outcome;
  }
  CURL* easy = Easy(easy_);
  CURLM* multi = Multi(multi_);
  Transfer transfer;
  transfer.request = &request;
  transfer.easy = easy;
  char error[CURL_ERROR_SIZE] = {0};

  curl_slist* headers = nullptr;
  // No "Expect: 100-continue" (libcurl adds it to large POSTs): a round
  // trip for nothing.
  headers = curl_slist_append(headers, "Expect:");
  if (request.method == "POST" && !request.content_type.empty()) {
    headers = curl_slist_append(headers, ("Content-Type: " + request.content_type).c_str());
  }

  curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_PROXY, "");  // else $http_proxy is honoured
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, std::max(Millis(request.connect_timeout), 1L));
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, Millis(request.timeout));
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(easy, CURLOPT_FORBID_REUSE, request.keep_alive ? 0L : 1L);
  curl_easy_setopt(easy, CURLOPT_BUFFERSIZE, 64L * 1024);
  curl_easy_setopt(easy, CURLOPT_MAXFILESIZE_LARGE,
                   static_cast<curl_off_t>(std::min<uint64_t>(request.max_body_bytes, INT64_MAX)));
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &HttpSession::OnHeader);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &HttpSession::OnBody);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &transfer);
  if (request.method == "POST") {
    curl_easy_setopt(easy, CURLOPT_POST, 1L);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
  } else {
    curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
  }

  CURLcode code = CURLE_OK;
  bool done = false;
  bool stopped = false;
  if (curl_multi_add_handle(multi, easy) != CURLM_OK) {
    code = CURLE_FAILED_INIT;
    done = true;
  }
  const int tick = static_cast<int>(std::max<int64_t>(request.tick.count(), 1));
  while (!done) {
    int running = 0;
    if (curl_multi_perform(multi, &running) != CURLM_OK) {
      code = CURLE_FAILED_INIT;
      break;
    }
    int queued = 0;
    while (CURLMsg* message = curl_multi_info_read(multi, &queued)) {
      if (message->msg == CURLMSG_DONE && message->easy_handle == easy) {
        code = message->data.result;
        done = true;
      }
    }
    if (done) break;
    if (request.keep_going && !request.keep_going()) {
      stopped = true;
      break;
    }
    curl_multi_poll(multi, nullptr, 0, tick, nullptr);
    if (request.keep_going && !request.keep_going()) {
      stopped = true;
      break;
    }
  }
  long status = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  long connects = 0;
  curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &connects);
  curl_off_t connect_time = 0;
  curl_easy_getinfo(easy, CURLINFO_CONNECT_TIME_T, &connect_time);
  // Removing a transfer that has not finished closes its connection.
  curl_multi_remove_handle(multi, easy);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, nullptr);
  curl_slist_free_all(headers);

  outcome.http_status = static_cast<int>(status);
  outcome.body_bytes = transfer.body_bytes;
  if (stopped) {
    outcome.failure = Failure::kStopped;
    return outcome;
  }
  if (code == CURLE_OK) return outcome;
  outcome.error = error[0] != '\0' ? error : curl_easy_strerror(code);
  switch (code) {
    case CURLE_WRITE_ERROR:
      outcome.failure = transfer.refused != Failure::kNone ? transfer.refused : Failure::kOther;
      break;
    case CURLE_FILESIZE_EXCEEDED:
      outcome.failure = Failure::kBodyTooLarge;
      break;
    case CURLE_URL_MALFORMAT:
      outcome.failure = Failure::kBadUrl;
      break;
    case CURLE_UNSUPPORTED_PROTOCOL:  // an answer in HTTP/0.9: bytes that are not HTTP
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_BAD_CONTENT_ENCODING:
      outcome.failure = Failure::kNotHttp;
      break;
    case CURLE_OUT_OF_MEMORY:
      // What libcurl says of a header line over its own limit (100 KB), which
      // never reaches OnHeader.
      outcome.failure = transfer.body_bytes == 0 ? Failure::kHeaderTooLarge : Failure::kOther;
      break;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
      outcome.failure = Failure::kCannotConnect;
      break;
    case CURLE_OPERATION_TIMEDOUT:
      // A new connection that never connected timed out connecting.
      outcome.failure =
          connects > 0 && connect_time == 0 ? Failure::kConnectTimeout : Failure::kTimeout;
      break;
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
      outcome.failure = Failure::kClosed;
      break;
    default:
      outcome.failure = Failure::kOther;
      break;
  }
  return outcome;
}

}  // namespace vigil

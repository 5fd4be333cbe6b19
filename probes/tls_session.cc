#include "probes/tls_session.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <ctime>
#include <string>

namespace vigil {
namespace {

// Where a context keeps its session: an index of our own in its ex_data.
int SessionIndex() {
  static const int kIndex = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return kIndex;
}

TlsSession* SessionOf(const SSL* ssl) {
  return static_cast<TlsSession*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), SessionIndex()));
}

std::optional<int64_t> NotAfter(X509* cert) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1) return std::nullopt;
  return static_cast<int64_t>(timegm(&tm));
}

// Called for each certificate of the chain being verified; with
// verification off too (its verdict then ignored). Keeps the chain's
// earliest expiry and changes no verdict.
int OnVerify(int preverify_ok, X509_STORE_CTX* store) {
  auto* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  TlsSession* session = ssl != nullptr ? SessionOf(ssl) : nullptr;
  if (session == nullptr || session->certificate_expiry) return preverify_ok;
  // The certificates as the server sent them, leaf first.
  STACK_OF(X509)* presented = X509_STORE_CTX_get0_untrusted(store);
  std::optional<int64_t> earliest;
  for (int i = 0; presented != nullptr && i < sk_X509_num(presented); ++i) {
    const std::optional<int64_t> expiry = NotAfter(sk_X509_value(presented, i));
    if (expiry && (!earliest || *expiry < *earliest)) earliest = expiry;
  }
  if (!earliest) {
    if (X509* leaf = X509_STORE_CTX_get0_cert(store)) earliest = NotAfter(leaf);
  }
  session->certificate_expiry = earliest;
  return preverify_ok;
}

// Sends the configured server name as SNI: libcurl sends none to an IP
// address, and its own host name otherwise. The name is set as the
// handshake starts, before the ClientHello is written.
void OnInfo(const SSL* ssl, int where, int) {
  if ((where & SSL_CB_HANDSHAKE_START) == 0) return;
  const TlsSession* session = SessionOf(ssl);
  if (session == nullptr || session->tls == nullptr || session->tls->server_name.empty()) return;
  SSL_set_tlsext_host_name(const_cast<SSL*>(ssl), session->tls->server_name.c_str());
}

// Notes what the server says of its own accord after the hello: a request
// for a client certificate, a fatal alert.
void OnMessage(int write_p, int, int content_type, const void* buf, size_t len, SSL* ssl, void*) {
  if (write_p != 0 || len < 2) return;
  TlsSession* session = SessionOf(ssl);
  if (session == nullptr) return;
  const auto* bytes = static_cast<const unsigned char*>(buf);
  if (content_type == SSL3_RT_HANDSHAKE && bytes[0] == SSL3_MT_CERTIFICATE_REQUEST) {
    session->certificate_requested = true;
  } else if (content_type == SSL3_RT_ALERT && bytes[0] == SSL3_AL_FATAL) {
    session->alert = bytes[1];
  }
}

CURLcode OnContext(CURL*, void* context, void* data) {
  auto* ctx = static_cast<SSL_CTX*>(context);
  auto* session = static_cast<TlsSession*>(data);
  SSL_CTX_set_ex_data(ctx, SessionIndex(), session);
  SSL_CTX_set_verify(ctx, SSL_CTX_get_verify_mode(ctx), OnVerify);
  SSL_CTX_set_msg_callback(ctx, OnMessage);
  if (session->tls != nullptr && !session->tls->server_name.empty()) {
    SSL_CTX_set_info_callback(ctx, OnInfo);
    // The name the certificate must hold, checked by OpenSSL as it verifies
    // the chain (libcurl's own check, of the URL's host, is off).
    X509_VERIFY_PARAM_set1_host(SSL_CTX_get0_param(ctx), session->tls->server_name.c_str(), 0);
  }
  return CURLE_OK;
}

}  // namespace

void SetUpTls(CURL* easy, const ProbeSpec& spec, TlsSession* session) {
  *session = TlsSession{};
  session->tls = spec.tls ? &*spec.tls : nullptr;
  const bool verify = session->tls != nullptr && !session->tls->ca_file.empty();
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, verify ? 1L : 0L);
  const bool own_name = session->tls != nullptr && !session->tls->server_name.empty();
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, verify && !own_name ? 2L : 0L);
  if (verify) {
    curl_easy_setopt(easy, CURLOPT_CAINFO, session->tls->ca_file.c_str());
    curl_easy_setopt(easy, CURLOPT_CAPATH, nullptr);  // that CA only, not the system's
  }
  if (session->tls != nullptr && !session->tls->cert_file.empty()) {
    curl_easy_setopt(easy, CURLOPT_SSLCERT, session->tls->cert_file.c_str());
    curl_easy_setopt(easy, CURLOPT_SSLKEY, session->tls->key_file.c_str());
  }
  curl_easy_setopt(easy, CURLOPT_SSL_SESSIONID_CACHE, 0L);
  curl_easy_setopt(easy, CURLOPT_SSL_CTX_FUNCTION, OnContext);
  curl_easy_setopt(easy, CURLOPT_SSL_CTX_DATA, session);
}

void ReclassifyTlsFailure(const TlsSession& session, ProbeResult* result) {
  if (result->outcome != ProbeOutcome::kFailure || result->code != 0) return;
  if (result->reason != ProbeReason::kReset && result->reason != ProbeReason::kProtocol) return;
  if (session.alert >= 0) {
    result->reason = ProbeReason::kTls;
    result->message =
        "TLS failed: remote error: tls: " + std::string(SSL_alert_desc_string_long(session.alert)) +
        " (" + result->message + ")";
  } else if (session.certificate_requested) {
    result->reason = ProbeReason::kTls;
    result->message =
        "TLS failed: the server asked for a client certificate, then closed the connection (" +
        result->message + ")";
  }
}

}  // namespace vigil

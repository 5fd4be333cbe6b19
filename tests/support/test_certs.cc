#include "tests/support/test_certs.h"

#include <arpa/inet.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include <ctime>
#include <filesystem>
#include <memory>
#include <stdexcept>

namespace vigil::testing {
namespace {

using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Cert = std::unique_ptr<X509, decltype(&X509_free)>;

void Check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test certificates: cannot ") + what);
}

void AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  Check(ext != nullptr, "make an extension");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

void WritePem(const std::string& path, X509* cert, EVP_PKEY* key) {
  FILE* f = fopen(path.c_str(), "w");
  Check(f != nullptr, "write a PEM file");
  const bool ok = cert != nullptr
                      ? PEM_write_X509(f, cert) == 1
                      : PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  fclose(f);
  Check(ok, "write PEM");
}

int64_t NotAfter(X509* cert) {
  std::tm tm{};
  Check(ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) == 1, "read notAfter");
  return static_cast<int64_t>(timegm(&tm));
}

// Keys and certificates stay alive as long as the object; files are what tests use.
struct Made {
  Key key{nullptr, EVP_PKEY_free};
  Cert cert{nullptr, X509_free};
};

Made Make(const TestCertificates::Request& request, int serial, X509* ca, EVP_PKEY* ca_key,
          bool is_ca) {
  Made made;
  made.key.reset(EVP_EC_gen("P-256"));
  made.cert.reset(X509_new());
  Check(made.key && made.cert, "make a key");
  X509* cert = made.cert.get();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), static_cast<long>(request.valid_for.count()));
  X509_set_pubkey(cert, made.key.get());
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(request.name.c_str()), -1, -1,
                             0);
  const bool own = is_ca || request.self_signed;
  X509_set_issuer_name(cert, own ? name : X509_get_subject_name(ca));
  X509* issuer = own ? cert : ca;
  if (is_ca) {
    AddExtension(cert, issuer, NID_basic_constraints, "critical,CA:TRUE");
    AddExtension(cert, issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    AddExtension(cert, issuer, NID_basic_constraints, "critical,CA:FALSE");
    AddExtension(cert, issuer, NID_ext_key_usage, request.client ? "clientAuth" : "serverAuth");
    std::string names;
    for (const std::string& dns : request.dns_names)
      names += (names.empty() ? "" : ",") + ("DNS:" + dns);
    for (const std::string& ip : request.ips) names += (names.empty() ? "" : ",") + ("IP:" + ip);
    if (!names.empty()) AddExtension(cert, issuer, NID_subject_alt_name, names);
  }
  Check(X509_sign(cert, own ? made.key.get() : ca_key, EVP_sha256()) != 0, "sign");
  return made;
}

}  // namespace

TestCertificates::TestCertificates() {
  std::string pattern = (std::filesystem::temp_directory_path() / "vigil-certs-XXXXXX").string();
  Check(mkdtemp(pattern.data()) != nullptr, "make a directory");
  dir_ = pattern;
  Request ca;
  ca.name = "vigil test CA";
  Made made = Make(ca, serial_++, nullptr, nullptr, true);
  ca_ = {dir_ + "/ca.pem", dir_ + "/ca.key", NotAfter(made.cert.get())};
  WritePem(ca_.cert_file, made.cert.get(), nullptr);
  WritePem(ca_.key_file, nullptr, made.key.get());
}

TestCertificates::~TestCertificates() {
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

TestCertificates::Issued TestCertificates::Issue(const Request& request) {
  FILE* f = fopen(ca_.cert_file.c_str(), "r");
  Check(f != nullptr, "read the CA");
  Cert ca(PEM_read_X509(f, nullptr, nullptr, nullptr), X509_free);
  fclose(f);
  f = fopen(ca_.key_file.c_str(), "r");
  Check(f != nullptr, "read the CA's key");
  Key ca_key(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr), EVP_PKEY_free);
  fclose(f);
  Check(ca && ca_key, "load the CA");
  Made made = Make(request, serial_++, ca.get(), ca_key.get(), false);
  Issued issued{dir_ + "/" + request.name + ".pem", dir_ + "/" + request.name + ".key",
                NotAfter(made.cert.get())};
  WritePem(issued.cert_file, made.cert.get(), nullptr);
  WritePem(issued.key_file, nullptr, made.key.get());
  return issued;
}

}  // namespace vigil::testing

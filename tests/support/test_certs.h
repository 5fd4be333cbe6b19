// Certificates for TLS tests, made with OpenSSL at run time and written as
// PEM files into a directory of their own (removed with the object): a CA,
// and certificates it signs for servers (DNS names and IP addresses as
// subjectAltNames) or clients, or self-signed ones. Not thread-safe; build
// them before starting the servers that use them.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace vigil::testing {

class TestCertificates {
 public:
  struct Issued {
    std::string cert_file;  // PEM certificate
    std::string key_file;   // PEM private key (P-256)
    int64_t not_after = 0;  // seconds since the Unix epoch, as in the certificate
  };

  struct Request {
    std::string name;                         // the file names' stem and the subject's CN
    std::vector<std::string> dns_names = {};  // subjectAltName DNS entries
    std::vector<std::string> ips = {};        // subjectAltName IP entries
    std::chrono::seconds valid_for = std::chrono::hours(24);
    bool client = false;       // extendedKeyUsage clientAuth instead of serverAuth
    bool self_signed = false;  // signed by its own key, not the CA
  };

  // Makes the CA in a fresh temporary directory.
  TestCertificates();
  ~TestCertificates();

  TestCertificates(const TestCertificates&) = delete;
  TestCertificates& operator=(const TestCertificates&) = delete;

  const std::string& dir() const { return dir_; }
  const std::string& ca_file() const { return ca_.cert_file; }

  Issued Issue(const Request& request);

 private:
  std::string dir_;
  Issued ca_;
  int serial_ = 1;
};

}  // namespace vigil::testing

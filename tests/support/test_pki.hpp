#pragma once
// Certificates made at test time with OpenSSL's API: a test CA, and leaves it signs with any
// names and validity (an expired one included). Everything, private keys too, is written to
// a temporary directory that goes away with the object: no key is ever committed.
#include <arpa/inet.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace barrage::test {

class test_pki {
 public:
  struct files {
    std::string cert;
    std::string key;
  };

  /// A CA ("barrage test CA", P-256, valid a day either side of now) in a fresh directory.
  test_pki() {
    char tmpl[] = "/tmp/barrage-pki-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    ca_key_.reset(EVP_EC_gen("P-256"));
    ca_.reset(make(ca_key_.get(), "barrage test CA", {}, -86400, 86400, nullptr, nullptr, true));
    ca_file_ = write_cert("ca.crt", ca_.get());
  }
  ~test_pki() { std::filesystem::remove_all(dir_); }
  test_pki(const test_pki&) = delete;
  test_pki& operator=(const test_pki&) = delete;

  const std::string& dir() const { return dir_; }
  /// The CA's certificate (PEM): what a client passes as --cacert.
  const std::string& ca_file() const { return ca_file_; }

  /// A leaf for `names` (DNS names or IP addresses; the first is the CN) signed by the CA,
  /// valid from now+`from_s` to now+`to_s` seconds, usable by servers and clients.
  files leaf(const std::string& stem, const std::vector<std::string>& names, long from_s = -3600,
             long to_s = 86400) {
    key_ptr key(EVP_EC_gen("P-256"));
    x509_ptr cert(make(key.get(), names.front(), names, from_s, to_s, ca_.get(), ca_key_.get(), false));
    return {write_cert(stem + ".crt", cert.get()), write_key(stem + ".key", key.get())};
  }

  /// Writes `content` to a file of the directory; returns its path.
  std::string write(const std::string& name, const std::string& content) const {
    std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

 private:
  struct free_key {
    void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }
  };
  struct free_cert {
    void operator()(X509* x) const noexcept { X509_free(x); }
  };
  using key_ptr = std::unique_ptr<EVP_PKEY, free_key>;
  using x509_ptr = std::unique_ptr<X509, free_cert>;

  static void check(bool ok, const char* what) {
    if (!ok) throw std::runtime_error(std::string("test_pki: ") + what + " failed");
  }

  static void add_ext(X509* x, X509* issuer, int nid, const std::string& value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, x, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    check(ext != nullptr && X509_add_ext(x, ext, -1) == 1, "extension");
    X509_EXTENSION_free(ext);
  }

  static std::string alt_names(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) {
      unsigned char buf[16];
      const bool ip = ::inet_pton(AF_INET, n.c_str(), buf) == 1 || ::inet_pton(AF_INET6, n.c_str(), buf) == 1;
      out += (out.empty() ? "" : ",") + std::string(ip ? "IP:" : "DNS:") + n;
    }
    return out;
  }

  X509* make(EVP_PKEY* key, const std::string& cn, const std::vector<std::string>& names, long from_s, long to_s,
             X509* issuer, EVP_PKEY* issuer_key, bool ca) {
    X509* x = X509_new();
    check(x != nullptr && key != nullptr, "new certificate");
    ASN1_INTEGER_set(X509_get_serialNumber(x), ++serial_);
    X509_set_version(x, 2);
    X509_gmtime_adj(X509_getm_notBefore(x), from_s);
    X509_gmtime_adj(X509_getm_notAfter(x), to_s);
    X509_NAME* subject = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()), -1,
                               -1, 0);
    X509_set_issuer_name(x, issuer != nullptr ? X509_get_subject_name(issuer) : subject);
    X509_set_pubkey(x, key);
    X509* signer = issuer != nullptr ? issuer : x;
    add_ext(x, signer, NID_subject_key_identifier, "hash");
    if (ca) {
      add_ext(x, signer, NID_basic_constraints, "critical,CA:TRUE");
      add_ext(x, signer, NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
      add_ext(x, signer, NID_basic_constraints, "critical,CA:FALSE");
      add_ext(x, signer, NID_ext_key_usage, "serverAuth,clientAuth");
      add_ext(x, signer, NID_authority_key_identifier, "keyid");
      if (!names.empty()) add_ext(x, signer, NID_subject_alt_name, alt_names(names));
    }
    check(X509_sign(x, issuer_key != nullptr ? issuer_key : key, EVP_sha256()) > 0, "sign");
    return x;
  }

  std::string write_cert(const std::string& name, X509* x) const {
    std::string path = dir_ + "/" + name;
    FILE* f = std::fopen(path.c_str(), "w");
    check(f != nullptr && PEM_write_X509(f, x) == 1, "write certificate");
    std::fclose(f);
    return path;
  }
  std::string write_key(const std::string& name, EVP_PKEY* k) const {
    std::string path = dir_ + "/" + name;
    FILE* f = std::fopen(path.c_str(), "w");
    check(f != nullptr && PEM_write_PrivateKey(f, k, nullptr, nullptr, 0, nullptr, nullptr) == 1, "write key");
    std::fclose(f);
    return path;
  }

  std::string dir_;
  std::string ca_file_;
  long serial_ = 0;
  key_ptr ca_key_;
  x509_ptr ca_;
};

}  // namespace barrage::test

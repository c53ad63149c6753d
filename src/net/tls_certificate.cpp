#include "net/tls_certificate.hpp"

#include <openssl/pem.h>
#include <openssl/rand.h>

namespace barrage::net {

namespace {

// A name the certificate lists: an IP address when it parses as one, a DNS name otherwise.
GENERAL_NAME* general_name(const std::string& name) {
  GENERAL_NAME* g = GENERAL_NAME_new();
  if (g == nullptr) return nullptr;
  if (ASN1_OCTET_STRING* ip = a2i_IPADDRESS(name.c_str())) {
    GENERAL_NAME_set0_value(g, GEN_IPADD, ip);
    return g;
  }
  ERR_clear_error();  // a2i_IPADDRESS leaves an entry for a DNS name
  ASN1_IA5STRING* dns = ASN1_IA5STRING_new();
  if (dns == nullptr || ASN1_STRING_set(dns, name.data(), static_cast<int>(name.size())) != 1) {
    ASN1_IA5STRING_free(dns);
    GENERAL_NAME_free(g);
    return nullptr;
  }
  GENERAL_NAME_set0_value(g, GEN_DNS, dns);
  return g;
}

bool add_alt_names(X509* x, const std::vector<std::string>& names) {
  ossl::general_names_ptr gens(sk_GENERAL_NAME_new_null());
  if (!gens) return false;
  for (const auto& n : names) {
    GENERAL_NAME* g = general_name(n);
    if (g == nullptr || sk_GENERAL_NAME_push(gens.get(), g) == 0) {
      GENERAL_NAME_free(g);
      return false;
    }
  }
  return X509_add1_ext_i2d(x, NID_subject_alt_name, gens.get(), 0, X509V3_ADD_DEFAULT) == 1;
}

bool add_extension(X509* x, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) return false;
  const bool ok = X509_add_ext(x, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

bool fill_certificate(X509* x, EVP_PKEY* key, const std::vector<std::string>& names) {
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) return false;
  serial[0] &= 0x7f;  // a positive INTEGER
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  const bool serial_ok = bn != nullptr && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != nullptr;
  BN_free(bn);
  if (!serial_ok || X509_set_version(x, 2) != 1) return false;
  // An hour of slack for a client whose clock is behind.
  if (X509_gmtime_adj(X509_getm_notBefore(x), -3600) == nullptr) return false;
  if (X509_gmtime_adj(X509_getm_notAfter(x), 365L * 24 * 3600) == nullptr) return false;
  X509_NAME* subject = X509_get_subject_name(x);
  const auto* cn = reinterpret_cast<const unsigned char*>(names.front().c_str());
  if (X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8, cn, -1, -1, 0) != 1) return false;
  if (X509_set_issuer_name(x, subject) != 1 || X509_set_pubkey(x, key) != 1) return false;
  if (!add_alt_names(x, names)) return false;
  // A leaf, not a CA: clients that refuse a CA certificate as a server's still accept it.
  if (!add_extension(x, NID_basic_constraints, "critical,CA:FALSE")) return false;
  if (!add_extension(x, NID_ext_key_usage, "serverAuth")) return false;
  if (!add_extension(x, NID_subject_key_identifier, "hash")) return false;
  return X509_sign(x, key, EVP_sha256()) > 0;
}

std::string to_pem(X509* x) {
  ossl::bio_ptr mem(BIO_new(BIO_s_mem()));
  if (!mem || PEM_write_bio_X509(mem.get(), x) != 1) return {};
  char* data = nullptr;
  const long n = BIO_get_mem_data(mem.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

}  // namespace

std::string sha256_fingerprint(X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_digest(cert, EVP_sha256(), md, &len) != 1) return {};
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(len * 3);
  for (unsigned int i = 0; i < len; ++i) {
    if (i > 0) out += ':';
    out += hex[md[i] >> 4];
    out += hex[md[i] & 0xf];
  }
  return out;
}

result<tls_certificate, std::string> make_self_signed_certificate(const std::vector<std::string>& names) {
  if (names.empty()) return fail(std::string("self-signed certificate: no host name given"));
  for (const auto& n : names)
    if (n.empty() || n.find_first_of(" \t\r\n,") != std::string::npos)
      return fail("self-signed certificate: bad host name \"" + n + "\"");
  ERR_clear_error();
  tls_certificate c;
  c.key.reset(EVP_EC_gen("P-256"));
  c.cert.reset(X509_new());
  if (!c.key || !c.cert || !fill_certificate(c.cert.get(), c.key.get(), names))
    return fail("self-signed certificate: " + ossl::openssl_reason());
  c.pem = to_pem(c.cert.get());
  c.fingerprint = sha256_fingerprint(c.cert.get());
  if (c.pem.empty() || c.fingerprint.empty()) return fail("self-signed certificate: " + ossl::openssl_reason());
  return c;
}

}  // namespace barrage::net

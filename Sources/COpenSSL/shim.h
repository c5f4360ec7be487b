#ifndef WECHATPAY_WATCHER_COPENSSL_SHIM_H
#define WECHATPAY_WATCHER_COPENSSL_SHIM_H
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/decoder.h>
#include <openssl/encoder.h>

// libssl's setters below are C macros over SSL_CTX_ctrl / SSL_ctrl, which Swift cannot import; these functions
// give them a callable name and keep the ctrl numbers out of Swift code.

static inline int watcher_SSL_CTX_set_min_proto_version(SSL_CTX *context, int version) {
    return (int)SSL_CTX_set_min_proto_version(context, version);
}

static inline int watcher_SSL_CTX_set_max_proto_version(SSL_CTX *context, int version) {
    return (int)SSL_CTX_set_max_proto_version(context, version);
}

static inline long watcher_SSL_CTX_set_mode(SSL_CTX *context, long mode) {
    return SSL_CTX_set_mode(context, mode);
}

static inline int watcher_SSL_set_tlsext_host_name(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}

static inline int watcher_TLS1_2_VERSION(void) { return TLS1_2_VERSION; }
static inline int watcher_TLS1_3_VERSION(void) { return TLS1_3_VERSION; }

static inline long watcher_SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER(void) { return SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER; }
static inline long watcher_SSL_MODE_ENABLE_PARTIAL_WRITE(void) { return SSL_MODE_ENABLE_PARTIAL_WRITE; }

#endif

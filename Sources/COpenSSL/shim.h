#ifndef WECHATPAY_WATCHER_COPENSSL_SHIM_H
#define WECHATPAY_WATCHER_COPENSSL_SHIM_H
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/ssl.h>
#include <openssl/decoder.h>
#include <openssl/encoder.h>
#endif

// COpenSSL: libcrypto (OpenSSL 3) from Debian's libssl-dev, for Ed25519 (EVP), SHA-256 and
// secure random bytes. Only headers; nothing here is variadic.
#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/crypto.h>

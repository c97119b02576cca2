/*  nines-sim run: the TLS identity of each simulated pod, made with
    OpenSSL's API (no `openssl` program): an EC P-256 key, a self-signed
    certificate for 127.0.0.1 and localhost, and the SPKI pin validators
    check instead of a CA (DESIGN.md section 6, CURLOPT_PINNEDPUBLICKEY). */
#include "run.h"
#include "base/error.h"
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <string.h>
#include <unistd.h>

static int
s_fail (char *err, size_t err_size, const char *what)
{
    unsigned long e = ERR_get_error ();
    char ossl [256] = "";
    if (e)
        ERR_error_string_n (e, ossl, sizeof ossl);
    snprintf (err, err_size, "%s%s%s", what, *ossl ? ": " : "", ossl);
    ERR_clear_error ();
    return NINES_EIO;
}

/*  Write PEM through a fresh file of the given mode (refuses to overwrite). */
static int
s_write_pem (const char *path, int mode, EVP_PKEY *key, X509 *cert)
{
    int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0)
        return NINES_EIO;
    FILE *f = fdopen (fd, "w");
    if (!f) {
        close (fd);
        return NINES_EIO;
    }
    int ok = key ? PEM_write_PrivateKey (f, key, NULL, NULL, 0, NULL, NULL)
                 : PEM_write_X509 (f, cert);
    return fclose (f) == 0 && ok == 1 ? NINES_OK : NINES_EIO;
}

static int
s_add_ext (X509 *cert, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb (&ctx);
    X509V3_set_ctx (&ctx, cert, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid (NULL, &ctx, nid, value);
    if (!ext)
        return -1;
    int ok = X509_add_ext (cert, ext, -1);
    X509_EXTENSION_free (ext);
    return ok == 1 ? 0 : -1;
}

int
sim_tls_make_cert (const char *key_path, const char *cert_path,
                   uint8_t pin [NINES_HASH_BYTES], char *err, size_t err_size)
{
    int rc = NINES_EIO;
    X509 *cert = NULL;
    unsigned char *spki = NULL;
    EVP_PKEY *key = EVP_EC_gen ("P-256");
    if (!key)
        return s_fail (err, err_size, "cannot generate an EC P-256 key");
    cert = X509_new ();
    uint8_t serial [16];
    BIGNUM *bn = NULL;
    if (!cert || RAND_bytes (serial, sizeof serial) != 1
    ||  !(bn = BN_bin2bn (serial, sizeof serial, NULL))
    ||  !BN_to_ASN1_INTEGER (bn, X509_get_serialNumber (cert))) {
        BN_free (bn);
        rc = s_fail (err, err_size, "cannot make a certificate");
        goto done;
    }
    BN_free (bn);
    X509_NAME *name = X509_get_subject_name (cert);
    if (X509_set_version (cert, 2) != 1
    ||  !X509_gmtime_adj (X509_getm_notBefore (cert), -3600)
    ||  !X509_gmtime_adj (X509_getm_notAfter (cert), 30L * 86400)
    ||  X509_set_pubkey (cert, key) != 1
    ||  X509_NAME_add_entry_by_txt (name, "O", MBSTRING_ASC, (const unsigned char *) "nines-sim", -1, -1, 0) != 1
    ||  X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_ASC, (const unsigned char *) "127.0.0.1", -1, -1, 0) != 1
    ||  X509_set_issuer_name (cert, name) != 1
    ||  s_add_ext (cert, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost")
    ||  s_add_ext (cert, NID_basic_constraints, "critical,CA:FALSE")
    ||  s_add_ext (cert, NID_ext_key_usage, "serverAuth")
    ||  X509_sign (cert, key, EVP_sha256 ()) <= 0) {
        rc = s_fail (err, err_size, "cannot build the self-signed certificate");
        goto done;
    }
    int spki_len = i2d_PUBKEY (key, &spki);
    unsigned int pin_len = 0;
    if (spki_len <= 0 || EVP_Digest (spki, (size_t) spki_len, pin, &pin_len, EVP_sha256 (), NULL) != 1
    ||  pin_len != NINES_HASH_BYTES) {
        rc = s_fail (err, err_size, "cannot hash the SubjectPublicKeyInfo");
        goto done;
    }
    if (s_write_pem (key_path, 0600, key, NULL)) {
        snprintf (err, err_size, "%s: cannot write the key", key_path);
        goto done;
    }
    if (s_write_pem (cert_path, 0644, NULL, cert)) {
        snprintf (err, err_size, "%s: cannot write the certificate", cert_path);
        goto done;
    }
    rc = NINES_OK;
done:
    OPENSSL_free (spki);
    X509_free (cert);
    EVP_PKEY_free (key);
    return rc;
}

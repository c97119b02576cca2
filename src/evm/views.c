#include "evm/views.h"
#include "crypto/crypto.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
nines_evm_view (nines_rpc_t *rpc, const uint8_t contract [20], const char *signature,
                const nines_abi_t *args, size_t n, nines_buf_t *out)
{
    nines_buf_t call = { 0 };
    int rc = nines_abi_call (&call, signature, args, n);
    out->len = 0;
    if (!rc) {
        nines_rpc_msg_t msg = { .to = contract, .data = call.data, .data_len = call.len };
        rc = nines_rpc_eth_call (rpc, &msg, "latest", out);
    }
    nines_buf_free (&call);
    return rc;
}

int
nines_evm_view_uint (nines_rpc_t *rpc, const uint8_t contract [20], const char *signature,
                     const nines_abi_t *args, size_t n, uint64_t *v)
{
    nines_buf_t out = { 0 };
    int rc = nines_evm_view (rpc, contract, signature, args, n, &out);
    if (!rc)
        rc = nines_abi_get_uint (out.data, out.len, 0, v);
    nines_buf_free (&out);
    return rc;
}

int
nines_evm_get_static_array (const uint8_t *data, size_t len, size_t i, size_t words,
                            const uint8_t **items, size_t *n)
{
    uint64_t off, count;
    int rc = nines_abi_get_uint (data, len, i, &off);
    if (rc)
        return rc == NINES_ETOOBIG ? NINES_EMALFORMED : rc;
    if (off % 32 || off > len || len - off < 32 || nines_abi_get_uint (data + off, len - off, 0, &count))
        return NINES_EMALFORMED;
    size_t room = (len - off - 32) / 32;
    if (words == 0 || count > room / words)
        return NINES_EMALFORMED;
    *items = data + off + 32;
    *n = (size_t) count;
    return NINES_OK;
}

/*  One argument of type (len bytes of a signature) from slot k of args. */
static void
s_arg (FILE *m, const char *type, size_t tlen, const uint8_t *args, size_t alen, size_t k)
{
    uint64_t v;
    const uint8_t *p;
    size_t n;
    if (tlen == 6 && !memcmp (type, "string", 6) && nines_abi_get_bytes (args, alen, k, &p, &n) == 0)
        fprintf (m, "\"%.*s\"", (int) n, (const char *) p);
    else if (tlen >= 4 && !memcmp (type, "uint", 4) && nines_abi_get_uint (args, alen, k, &v) == 0)
        fprintf (m, "%llu", (unsigned long long) v);
    else
        fputs ("?", m);
}

/*  name(args) of signature sig with its arguments decoded from args. */
static void
s_error (FILE *m, const char *sig, const uint8_t *args, size_t alen)
{
    const char *open = strchr (sig, '(');
    if (!open) {
        fputs (sig, m);
        return;
    }
    fprintf (m, "%.*s(", (int) (open - sig), sig);
    const char *t = open + 1;
    for (size_t k = 0; *t && *t != ')'; k++) {
        size_t tlen = strcspn (t, ",)");
        if (k)
            fputs (", ", m);
        s_arg (m, t, tlen, args, alen, k);
        t += tlen + (t [tlen] == ',');
    }
    fputc (')', m);
}

char *
nines_evm_revert_text (const char *errdata, const char *const *errors, char *out, size_t cap)
{
    size_t hex = errdata ? strlen (errdata) : 0;
    if (hex >= 2 && errdata [0] == '0' && (errdata [1] == 'x' || errdata [1] == 'X')) {
        errdata += 2;
        hex -= 2;
    }
    uint8_t *data = hex % 2 == 0 ? malloc (hex / 2 + 1) : NULL;
    size_t len = hex / 2;
    if (!data || (len && nines_unhex (data, len, errdata))) {
        snprintf (out, cap, "revert data %s", errdata ? errdata : "");
        free (data);
        return out;
    }
    char *buf = NULL;
    size_t blen = 0;
    FILE *m = open_memstream (&buf, &blen);
    if (m) {
        uint8_t sel [4];
        const char *match = NULL;
        static const char *const std [] = { "Error(string)", "Panic(uint256)", NULL };
        for (int list = 0; list < 2 && !match && len >= 4; list++)
            for (const char *const *e = list ? errors : std; e && *e && !match; e++) {
                nines_abi_selector (sel, *e);
                if (!memcmp (sel, data, 4))
                    match = *e;
            }
        uint64_t code;
        const uint8_t *msg;
        size_t mlen;
        if (len == 0)
            fputs ("no reason given", m);
        else if (match && !strcmp (match, "Error(string)") && !nines_abi_get_bytes (data + 4, len - 4, 0, &msg, &mlen))
            fprintf (m, "%.*s", (int) mlen, (const char *) msg);
        else if (match && !strcmp (match, "Panic(uint256)") && !nines_abi_get_uint (data + 4, len - 4, 0, &code))
            fprintf (m, "panic 0x%llx", (unsigned long long) code);
        else if (match)
            s_error (m, match, data + 4, len - 4);
        else {
            fputs ("revert data 0x", m);
            for (size_t i = 0; i < len && i < 36; i++)
                fprintf (m, "%02x", data [i]);
            if (len > 36)
                fputs ("...", m);
        }
        fclose (m);
    }
    snprintf (out, cap, "%s", buf ? buf : "?");
    free (buf);
    free (data);
    return out;
}

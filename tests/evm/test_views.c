/*  src/evm/views.c without a node: revert data decoded to the text
    ninesctl prints (Error(string), Panic, the contract's custom errors
    with string and uint arguments, unknown and empty data), and the
    decoder of a returned T[] of static tuples (groups()). */
#include "testutil.h"
#include "evm/views.h"
#include "crypto/crypto.h"
#include <string.h>

static const char *const s_errors [] = { "EStale(string)", "EQuorum(uint256,uint256)", "EUnknown()", NULL };

/*  The revert data of error signature with args, as "0x..." text. */
static char *
s_revert (char *hex, const char *signature, const nines_abi_t *args, size_t n)
{
    nines_buf_t b = { 0 };
    CHECK_RC (nines_abi_call (&b, signature, args, n), 0);
    strcpy (hex, "0x");
    nines_hex (hex + 2, b.data, b.len);
    nines_buf_free (&b);
    return hex;
}

static void
test_revert_text (void)
{
    char hex [1024], out [256];
    nines_abi_t s = nines_abi_bytes ((const uint8_t *) "maintenance notice", 18);
    CHECK_STR (nines_evm_revert_text (s_revert (hex, "EStale(string)", &s, 1), s_errors, out, sizeof out),
               "EStale(\"maintenance notice\")");
    nines_abi_t q [2] = { nines_abi_uint (3), nines_abi_uint (7) };
    CHECK_STR (nines_evm_revert_text (s_revert (hex, "EQuorum(uint256,uint256)", q, 2), s_errors, out, sizeof out),
               "EQuorum(3, 7)");
    CHECK_STR (nines_evm_revert_text (s_revert (hex, "EUnknown()", NULL, 0), s_errors, out, sizeof out), "EUnknown()");
    nines_abi_t m = nines_abi_bytes ((const uint8_t *) "transfer", 8);
    CHECK_STR (nines_evm_revert_text (s_revert (hex, "Error(string)", &m, 1), NULL, out, sizeof out), "transfer");
    nines_abi_t p = nines_abi_uint (0x11);
    CHECK_STR (nines_evm_revert_text (s_revert (hex, "Panic(uint256)", &p, 1), NULL, out, sizeof out), "panic 0x11");
    /* not in the list: the selector shown (EPerm's, as cast prints it); nothing; not hex */
    CHECK_STR (nines_evm_revert_text (s_revert (hex, "EPerm()", NULL, 0), s_errors, out, sizeof out),
               "revert data 0x46d3938f");
    CHECK_STR (nines_evm_revert_text ("0x", s_errors, out, sizeof out), "no reason given");
    CHECK_STR (nines_evm_revert_text ("", s_errors, out, sizeof out), "no reason given");
    CHECK_STR (nines_evm_revert_text ("0xzz", s_errors, out, sizeof out), "revert data zz");
    /* a string argument cut short: "?" in its place, not a read past the end */
    s_revert (hex, "EStale(string)", &s, 1);
    hex [2 + 2 * (4 + 32)] = 0;
    CHECK_STR (nines_evm_revert_text (hex, s_errors, out, sizeof out), "EStale(?)");
}

static void
test_static_array (void)
{
    /* (Group[] out, uint256 n): two groups of 6 words, n = 1 */
    nines_abi_t w [2][6], items [2], top [2];
    for (int g = 0; g < 2; g++) {
        for (int k = 0; k < 6; k++)
            w [g][k] = nines_abi_uint ((uint64_t) (100 * g + k));
        items [g] = nines_abi_tuple (w [g], 6);
    }
    top [0] = nines_abi_array (items, 2);
    top [1] = nines_abi_uint (1);
    nines_abi_t all = nines_abi_tuple (top, 2);
    nines_buf_t b = { 0 };
    CHECK_RC (nines_abi_encode (&b, &all), 0);
    const uint8_t *at = NULL;
    size_t n = 0;
    uint64_t v = 0;
    CHECK_RC (nines_evm_get_static_array (b.data, b.len, 0, 6, &at, &n), 0);
    CHECK_EQ (n, 2);
    CHECK_RC (nines_abi_get_uint (at + 6 * 32, 6 * 32, 4, &v), 0);
    CHECK_EQ (v, 104);
    CHECK_RC (nines_abi_get_uint (b.data, b.len, 1, &v), 0);
    CHECK_EQ (v, 1);
    /* the last item cut off, or items wider than the data: refused */
    CHECK_RC (nines_evm_get_static_array (b.data, b.len - 32, 0, 6, &at, &n), NINES_EMALFORMED);
    CHECK_RC (nines_evm_get_static_array (b.data, b.len, 0, 7, &at, &n), NINES_EMALFORMED);
    CHECK_RC (nines_evm_get_static_array (b.data, 32, 0, 6, &at, &n), NINES_EMALFORMED);
    nines_buf_free (&b);
}

int
main (void)
{
    RUN (test_revert_text);
    RUN (test_static_array);
    return t_done ("test_views");
}

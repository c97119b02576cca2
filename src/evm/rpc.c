#include "evm/rpc.h"
#include "crypto/crypto.h"
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RPC_MAX_ANSWER (64u << 20)

struct nines_rpc {
    CURL *curl;
    struct curl_slist *headers;
    char *url;
    long timeout_ms;
    unsigned long id;
    long code;                      /* last error object's code */
    char message [512];
    char errdata [1024];
    nines_buf_t answer;
};

static size_t
s_write (char *p, size_t size, size_t n, void *arg)
{
    nines_buf_t *b = arg;
    size_t len = size * n;
    if (b->len + len > RPC_MAX_ANSWER || nines_buf_put (b, p, len))
        return 0;
    return len;
}

nines_rpc_t *
nines_rpc_new (const char *url, long timeout_ms)
{
    if (!url)
        return NULL;
    static int s_global;
    if (!s_global && curl_global_init (CURL_GLOBAL_DEFAULT) == 0)
        s_global = 1;
    nines_rpc_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->url = strdup (url);
    self->curl = curl_easy_init ();
    self->headers = curl_slist_append (NULL, "Content-Type: application/json");
    self->timeout_ms = timeout_ms > 0 ? timeout_ms : 10000;
    if (!self->url || !self->curl || !self->headers) {
        nines_rpc_destroy (&self);
        return NULL;
    }
    return self;
}

void
nines_rpc_destroy (nines_rpc_t **self_p)
{
    nines_rpc_t *self = *self_p;
    if (!self)
        return;
    if (self->curl)
        curl_easy_cleanup (self->curl);
    curl_slist_free_all (self->headers);
    free (self->url);
    nines_buf_free (&self->answer);
    free (self);
    *self_p = NULL;
}

const char *
nines_rpc_message (const nines_rpc_t *self)
{
    return self->message;
}

long
nines_rpc_code (const nines_rpc_t *self)
{
    return self->code;
}

const char *
nines_rpc_errdata (const nines_rpc_t *self)
{
    return self->errdata;
}

static int
s_has (const char *text, const char *word)
{
    return strcasestr (text, word) != NULL;
}

int
nines_rpc_classify (long code, const char *message)
{
    const char *m = message ? message : "";
    if (s_has (m, "underpriced") || s_has (m, "less than block base fee")
    ||  s_has (m, "fee too low") || s_has (m, "gas price too low")
    ||  s_has (m, "fee cap less than"))
        return NINES_EUNDERPRICED;
    if (code == 3 || s_has (m, "execution reverted") || s_has (m, "revert"))
        return NINES_EREVERTED;
    if (s_has (m, "nonce too low"))
        return NINES_EREPLAY;
    if (s_has (m, "already known") || s_has (m, "known transaction"))
        return NINES_EEXIST;
    return NINES_ERPC;
}

static int
s_fail (nines_rpc_t *self, int rc, const char *fmt, const char *arg)
{
    snprintf (self->message, sizeof self->message, fmt, arg ? arg : "");
    return rc;
}

int
nines_rpc_call (nines_rpc_t *self, const char *method, json_t *params, json_t **result)
{
    *result = NULL;
    self->code = 0;
    self->message [0] = 0;
    self->errdata [0] = 0;
    json_t *req = json_pack ("{s:s, s:I, s:s, s:o}", "jsonrpc", "2.0",
                             "id", (json_int_t) ++self->id, "method", method,
                             "params", params ? params : json_array ());
    char *body = req ? json_dumps (req, JSON_COMPACT) : NULL;
    json_decref (req);
    if (!body)
        return s_fail (self, NINES_ENOMEM, "out of memory building %s", method);
    self->answer.len = 0;
    self->answer.failed = 0;
    CURL *c = self->curl;
    curl_easy_setopt (c, CURLOPT_URL, self->url);
    curl_easy_setopt (c, CURLOPT_HTTPHEADER, self->headers);
    curl_easy_setopt (c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt (c, CURLOPT_WRITEFUNCTION, s_write);
    curl_easy_setopt (c, CURLOPT_WRITEDATA, &self->answer);
    curl_easy_setopt (c, CURLOPT_TIMEOUT_MS, self->timeout_ms);
    curl_easy_setopt (c, CURLOPT_CONNECTTIMEOUT_MS, self->timeout_ms);
    curl_easy_setopt (c, CURLOPT_NOSIGNAL, 1L);
    CURLcode cc = curl_easy_perform (c);
    free (body);
    if (cc == CURLE_OPERATION_TIMEDOUT)
        return s_fail (self, NINES_ETIMEOUT, "%s: no answer within the timeout", method);
    if (cc == CURLE_WRITE_ERROR)
        return s_fail (self, self->answer.failed ? NINES_ENOMEM : NINES_ETOOBIG,
                       "%s: answer over 64 MiB or out of memory", method);
    if (cc != CURLE_OK)
        return s_fail (self, NINES_EUNAVAIL, "%s", curl_easy_strerror (cc));
    long http = 0;
    curl_easy_getinfo (c, CURLINFO_RESPONSE_CODE, &http);
    json_error_t jerr;
    json_t *ans = json_loadb ((const char *) self->answer.data, self->answer.len, JSON_ALLOW_NUL, &jerr);
    if (!ans) {
        if (http != 200) {
            char t [32];
            snprintf (t, sizeof t, "%ld", http);
            return s_fail (self, NINES_EUNAVAIL, "HTTP status %s", t);
        }
        return s_fail (self, NINES_EMALFORMED, "answer is not JSON: %s", jerr.text);
    }
    json_t *err = json_object_get (ans, "error");
    if (err) {
        json_t *msg = json_object_get (err, "message"), *data = json_object_get (err, "data");
        self->code = (long) json_integer_value (json_object_get (err, "code"));
        snprintf (self->message, sizeof self->message, "%s",
                  json_is_string (msg) ? json_string_value (msg) : "(no message)");
        if (json_is_string (data))
            snprintf (self->errdata, sizeof self->errdata, "%s", json_string_value (data));
        int rc = nines_rpc_classify (self->code, self->message);
        json_decref (ans);
        return rc;
    }
    json_t *res = json_object_get (ans, "result");
    if (!res) {
        json_decref (ans);
        return s_fail (self, NINES_EMALFORMED, "%s: answer has neither result nor error", method);
    }
    *result = json_incref (res);
    json_decref (ans);
    return NINES_OK;
}

int
nines_rpc_quantity (const json_t *j, uint64_t *v)
{
    const char *s = json_string_value (j);
    if (!s || strncmp (s, "0x", 2) != 0 || !s [2])
        return NINES_EMALFORMED;
    uint64_t x = 0;
    for (const char *p = s + 2; *p; p++) {
        int d = *p >= '0' && *p <= '9' ? *p - '0'
              : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10
              : *p >= 'A' && *p <= 'F' ? *p - 'A' + 10 : -1;
        if (d < 0)
            return NINES_EMALFORMED;
        if (x >> 60)
            return NINES_ETOOBIG;
        x = (x << 4) | (uint64_t) d;
    }
    *v = x;
    return NINES_OK;
}

int
nines_rpc_data (const json_t *j, nines_buf_t *out)
{
    const char *s = json_string_value (j);
    if (!s || strncmp (s, "0x", 2) != 0)
        return NINES_EMALFORMED;
    size_t n = strlen (s + 2);
    if (n % 2)
        return NINES_EMALFORMED;
    if (nines_buf_reserve (out, n / 2))
        return NINES_ENOMEM;
    if (n && nines_unhex (out->data + out->len, n / 2, s + 2))
        return NINES_EMALFORMED;
    out->len += n / 2;
    return NINES_OK;
}

/*  Exactly n bytes of data j into out. */
static int
s_fixed (const json_t *j, uint8_t *out, size_t n)
{
    const char *s = json_string_value (j);
    if (!s || strncmp (s, "0x", 2) != 0 || strlen (s + 2) != 2 * n || nines_unhex (out, n, s + 2))
        return NINES_EMALFORMED;
    return NINES_OK;
}

/*  "0x" + hex of p [0..n) as a new JSON string. */
static json_t *
s_hex (const uint8_t *p, size_t n)
{
    char *s = malloc (2 * n + 3);
    if (!s)
        return NULL;
    s [0] = '0';
    s [1] = 'x';
    nines_hex (s + 2, p, n);
    json_t *j = json_string (s);
    free (s);
    return j;
}

/*  "0x" + v without leading zeros (a quantity). */
static json_t *
s_qty (uint64_t v)
{
    char s [24];
    snprintf (s, sizeof s, "0x%llx", (unsigned long long) v);
    return json_string (s);
}

/*  Call a method whose result is one quantity. */
static int
s_call_qty (nines_rpc_t *self, const char *method, json_t *params, uint64_t *v)
{
    json_t *res;
    int rc = nines_rpc_call (self, method, params, &res);
    if (rc)
        return rc;
    rc = nines_rpc_quantity (res, v);
    if (rc)
        s_fail (self, rc, "%s: result is not a 64-bit quantity", method);
    json_decref (res);
    return rc;
}

int
nines_rpc_chain_id (nines_rpc_t *self, uint64_t *id)
{
    return s_call_qty (self, "eth_chainId", NULL, id);
}

int
nines_rpc_block_number (nines_rpc_t *self, uint64_t *n)
{
    return s_call_qty (self, "eth_blockNumber", NULL, n);
}

int
nines_rpc_nonce (nines_rpc_t *self, const uint8_t address [20], const char *tag, uint64_t *n)
{
    return s_call_qty (self, "eth_getTransactionCount",
                       json_pack ("[o,s]", s_hex (address, 20), tag ? tag : "pending"), n);
}

int
nines_rpc_balance (nines_rpc_t *self, const uint8_t address [20], uint8_t wei [32])
{
    json_t *res;
    int rc = nines_rpc_call (self, "eth_getBalance", json_pack ("[o,s]", s_hex (address, 20), "latest"), &res);
    if (rc)
        return rc;
    const char *s = json_string_value (res);
    size_t n = s && strncmp (s, "0x", 2) == 0 ? strlen (s + 2) : 0;
    char pad [65];
    rc = NINES_EMALFORMED;
    if (n >= 1 && n <= 64) {
        memset (pad, '0', 64 - n);
        memcpy (pad + 64 - n, s + 2, n + 1);
        rc = nines_unhex (wei, 32, pad) ? NINES_EMALFORMED : NINES_OK;
    }
    json_decref (res);
    return rc;
}

int
nines_rpc_gas_price (nines_rpc_t *self, uint64_t *wei)
{
    return s_call_qty (self, "eth_gasPrice", NULL, wei);
}

int
nines_rpc_max_priority_fee (nines_rpc_t *self, uint64_t *wei)
{
    return s_call_qty (self, "eth_maxPriorityFeePerGas", NULL, wei);
}

int
nines_rpc_next_base_fee (nines_rpc_t *self, uint64_t *wei)
{
    json_t *res;
    int rc = nines_rpc_call (self, "eth_feeHistory", json_pack ("[i,s,[]]", 1, "latest"), &res);
    if (rc)
        return rc;
    json_t *fees = json_object_get (res, "baseFeePerGas");
    size_t n = json_array_size (fees);
    rc = n ? nines_rpc_quantity (json_array_get (fees, n - 1), wei) : NINES_EMALFORMED;
    json_decref (res);
    return rc;
}

int
nines_rpc_block_hash (nines_rpc_t *self, uint64_t number, uint8_t hash [32], uint64_t *time)
{
    json_t *res;
    int rc = nines_rpc_call (self, "eth_getBlockByNumber", json_pack ("[o,b]", s_qty (number), 0), &res);
    if (rc)
        return rc;
    uint64_t t = 0;
    if (json_is_null (res))
        rc = NINES_ENOTFOUND;
    else if (s_fixed (json_object_get (res, "hash"), hash, 32)
         ||  nines_rpc_quantity (json_object_get (res, "timestamp"), &t))
        rc = s_fail (self, NINES_EMALFORMED, "eth_getBlockByNumber: %s", "no hash or timestamp");
    if (!rc && time)
        *time = t;
    json_decref (res);
    return rc;
}

/*  The call object of eth_call / eth_estimateGas. */
static json_t *
s_msg (const nines_rpc_msg_t *m)
{
    json_t *o = json_object ();
    if (m->from)
        json_object_set_new (o, "from", s_hex (m->from, 20));
    if (m->to)
        json_object_set_new (o, "to", s_hex (m->to, 20));
    json_object_set_new (o, "input", s_hex (m->data, m->data_len));
    json_object_set_new (o, "data", s_hex (m->data, m->data_len));  /* nodes before "input" */
    if (m->value) {
        char hex [65];
        nines_hex (hex, m->value, 32);
        const char *p = hex;
        while (p [0] == '0' && p [1])
            p++;
        char q [68];
        snprintf (q, sizeof q, "0x%s", p);
        json_object_set_new (o, "value", json_string (q));
    }
    return o;
}

int
nines_rpc_estimate_gas (nines_rpc_t *self, const nines_rpc_msg_t *msg, uint64_t *gas)
{
    return s_call_qty (self, "eth_estimateGas", json_pack ("[o]", s_msg (msg)), gas);
}

int
nines_rpc_eth_call (nines_rpc_t *self, const nines_rpc_msg_t *msg, const char *tag, nines_buf_t *out)
{
    json_t *res;
    int rc = nines_rpc_call (self, "eth_call", json_pack ("[o,s]", s_msg (msg), tag ? tag : "latest"), &res);
    if (rc)
        return rc;
    rc = nines_rpc_data (res, out);
    json_decref (res);
    return rc;
}

int
nines_rpc_send_raw (nines_rpc_t *self, const uint8_t *raw, size_t len, uint8_t hash [32])
{
    json_t *res;
    int rc = nines_rpc_call (self, "eth_sendRawTransaction", json_pack ("[o]", s_hex (raw, len)), &res);
    if (rc)
        return rc;
    uint8_t h [32];
    rc = s_fixed (res, h, 32);
    if (!rc && hash)
        memcpy (hash, h, 32);
    json_decref (res);
    return rc;
}

int
nines_rpc_receipt (nines_rpc_t *self, const uint8_t hash [32], nines_receipt_t *r)
{
    memset (r, 0, sizeof *r);
    json_t *res;
    int rc = nines_rpc_call (self, "eth_getTransactionReceipt", json_pack ("[o]", s_hex (hash, 32)), &res);
    if (rc)
        return rc;
    if (json_is_null (res)) {
        json_decref (res);
        return NINES_ENOTFOUND;
    }
    uint64_t status = 0;
    json_t *contract = json_object_get (res, "contractAddress");
    if (s_fixed (json_object_get (res, "transactionHash"), r->tx_hash, 32)
    ||  s_fixed (json_object_get (res, "blockHash"), r->block_hash, 32)
    ||  nines_rpc_quantity (json_object_get (res, "blockNumber"), &r->block_number)
    ||  nines_rpc_quantity (json_object_get (res, "status"), &status)
    ||  nines_rpc_quantity (json_object_get (res, "gasUsed"), &r->gas_used)
    ||  nines_rpc_quantity (json_object_get (res, "effectiveGasPrice"), &r->effective_gas_price))
        rc = s_fail (self, NINES_EMALFORMED, "eth_getTransactionReceipt: %s", "a field is missing or malformed");
    else if (json_is_string (contract)) {
        r->has_contract = true;
        rc = s_fixed (contract, r->contract, 20);
    }
    r->status = (int) status;
    r->n_logs = json_array_size (json_object_get (res, "logs"));
    json_decref (res);
    return rc;
}

int
nines_rpc_tx_input (nines_rpc_t *self, const uint8_t hash [32], nines_buf_t *input,
                    uint8_t from [20], uint8_t to [20])
{
    json_t *res;
    int rc = nines_rpc_call (self, "eth_getTransactionByHash", json_pack ("[o]", s_hex (hash, 32)), &res);
    if (rc)
        return rc;
    if (json_is_null (res)) {
        json_decref (res);
        return NINES_ENOTFOUND;
    }
    uint8_t f [20], t [20] = { 0 };
    json_t *jt = json_object_get (res, "to"), *in = json_object_get (res, "input");
    if (!in)
        in = json_object_get (res, "data");
    if (s_fixed (json_object_get (res, "from"), f, 20) || (json_is_string (jt) && s_fixed (jt, t, 20))
    ||  nines_rpc_data (in, input))
        rc = s_fail (self, NINES_EMALFORMED, "eth_getTransactionByHash: %s", "a field is missing or malformed");
    else {
        if (from)
            memcpy (from, f, 20);
        if (to)
            memcpy (to, t, 20);
    }
    json_decref (res);
    return rc;
}

/*  One element of eth_getLogs' result. */
static int
s_log (const json_t *j, nines_log_t *l)
{
    json_t *topics = json_object_get (j, "topics");
    nines_buf_t data = { 0 };
    l->n_topics = json_array_size (topics);
    if (l->n_topics > 4 || s_fixed (json_object_get (j, "address"), l->address, 20)
    ||  nines_rpc_quantity (json_object_get (j, "blockNumber"), &l->block_number)
    ||  s_fixed (json_object_get (j, "blockHash"), l->block_hash, 32)
    ||  s_fixed (json_object_get (j, "transactionHash"), l->tx_hash, 32)
    ||  nines_rpc_quantity (json_object_get (j, "logIndex"), &l->log_index)
    ||  nines_rpc_data (json_object_get (j, "data"), &data)) {
        nines_buf_free (&data);
        return NINES_EMALFORMED;
    }
    for (size_t t = 0; t < l->n_topics; t++)
        if (s_fixed (json_array_get (topics, t), l->topics [t], 32)) {
            nines_buf_free (&data);
            return NINES_EMALFORMED;
        }
    l->removed = json_is_true (json_object_get (j, "removed"));
    l->data = data.data;
    l->data_len = data.len;
    return NINES_OK;
}

int
nines_rpc_get_logs (nines_rpc_t *self, const uint8_t *address, uint64_t from, uint64_t to,
                    const uint8_t (*topic0) [32], size_t n_topic0,
                    nines_log_t **logs, size_t *n)
{
    *logs = NULL;
    *n = 0;
    json_t *f = json_pack ("{s:o, s:o}", "fromBlock", s_qty (from), "toBlock", s_qty (to));
    if (address)
        json_object_set_new (f, "address", s_hex (address, 20));
    if (n_topic0) {
        json_t *alt = json_array ();
        for (size_t i = 0; i < n_topic0; i++)
            json_array_append_new (alt, s_hex (topic0 [i], 32));
        json_object_set_new (f, "topics", json_pack ("[o]", alt));
    }
    json_t *res;
    int rc = nines_rpc_call (self, "eth_getLogs", json_pack ("[o]", f), &res);
    if (rc)
        return rc;
    size_t count = json_array_size (res);
    if (!json_is_array (res)) {
        json_decref (res);
        return s_fail (self, NINES_EMALFORMED, "eth_getLogs: %s", "result is not an array");
    }
    nines_log_t *out = count ? calloc (count, sizeof *out) : NULL;
    if (count && !out) {
        json_decref (res);
        return NINES_ENOMEM;
    }
    for (size_t i = 0; i < count && !rc; i++)
        if ((rc = s_log (json_array_get (res, i), &out [i])))
            s_fail (self, rc, "eth_getLogs: %s", "a log is malformed");
    json_decref (res);
    if (rc) {
        nines_rpc_logs_free (out, count);
        return rc;
    }
    *logs = out;
    *n = count;
    return NINES_OK;
}

void
nines_rpc_logs_free (nines_log_t *logs, size_t n)
{
    for (size_t i = 0; logs && i < n; i++)
        free (logs [i].data);
    free (logs);
}

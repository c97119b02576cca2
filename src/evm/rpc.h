/*  A JSON-RPC 2.0 client of an Ethereum node (Ethereum JSON-RPC API,
    execution-apis): one libcurl easy handle (keep-alive) per client, JSON
    by jansson, blocking calls bounded by the client's timeout.

    Quantities are "0x"-prefixed big-endian hex without leading zeros,
    data "0x"-prefixed hex bytes; amounts wei, gas units of gas, fees wei
    per gas.  Block tags: "latest", "pending", "earliest", "safe",
    "finalized" or a number.

    Every function returns 0 or a negative code:
      NINES_EUNAVAIL     the node could not be reached (connection, HTTP)
      NINES_ETIMEOUT     no answer within the timeout
      NINES_EMALFORMED   the answer is not the JSON-RPC shape expected
      NINES_ETOOBIG      the answer exceeds 64 MiB
      NINES_ERPC         the node answered an error object
      NINES_EUNDERPRICED ... one that says the fee is too low
                         ("underpriced", "less than block base fee",
                         "fee too low", "gas price too low")
      NINES_EREVERTED    ... one that says execution reverted (code 3)
      NINES_EREPLAY      ... one that says the nonce is too low (used)
      NINES_EEXIST       ... one that says the transaction is already known
      NINES_ENOMEM
    After an error nines_rpc_message gives the node's (or libcurl's) text
    and nines_rpc_errdata the error's data (revert data), for the log. */
#ifndef NINES_EVM_RPC_H
#define NINES_EVM_RPC_H

#include "evm/buf.h"
#include <jansson.h>
#include <stdbool.h>

typedef struct nines_rpc nines_rpc_t;

/*  What eth_call and eth_estimateGas take: from and value optional (NULL),
    to NULL for a creation. */
typedef struct {
    const uint8_t *from;            /* [20] or NULL */
    const uint8_t *to;              /* [20] or NULL */
    const uint8_t *data;
    size_t data_len;
    const uint8_t *value;           /* [32] big-endian wei, or NULL */
} nines_rpc_msg_t;

typedef struct {
    uint8_t tx_hash [32];
    uint8_t block_hash [32];
    uint64_t block_number;
    int status;                     /* 1 success, 0 reverted */
    uint64_t gas_used;
    uint64_t effective_gas_price;   /* wei per gas */
    bool has_contract;              /* a creation's new address */
    uint8_t contract [20];
    size_t n_logs;
} nines_receipt_t;

typedef struct {
    uint8_t address [20];
    uint8_t topics [4][32];
    size_t n_topics;
    uint8_t *data;                  /* malloc'ed, freed by nines_rpc_logs_free */
    size_t data_len;
    uint64_t block_number;
    uint8_t block_hash [32];
    uint8_t tx_hash [32];
    uint64_t log_index;
    bool removed;                   /* dropped by a reorganisation */
} nines_log_t;

/*  A client of url ("http://127.0.0.1:8545"), each call bounded by
    timeout_ms.  NULL when out of memory or url is NULL. */
nines_rpc_t *nines_rpc_new (const char *url, long timeout_ms);

/*  Close and free *self_p; sets it to NULL. */
void nines_rpc_destroy (nines_rpc_t **self_p);

/*  The text of the last error (the node's message, libcurl's, or what did
    not parse), "" after a success. */
const char *nines_rpc_message (const nines_rpc_t *self);

/*  The JSON-RPC code of the last error object (0 when none). */
long nines_rpc_code (const nines_rpc_t *self);

/*  The last error object's "data" as text (revert data "0x..."), or "". */
const char *nines_rpc_errdata (const nines_rpc_t *self);

/*  The code a JSON-RPC error object (code, message) maps to (the table
    above).  Pure: the unit test checks the nodes' messages. */
int nines_rpc_classify (long code, const char *message);

/*  Call method with params (a JSON array; the reference is stolen, NULL
    for []): *result a new reference to the "result" (json_null() when the
    node answered null).  The codes above. */
int nines_rpc_call (nines_rpc_t *self, const char *method, json_t *params, json_t **result);

/*  Parse a quantity ("0x1a") of at most 64 bits.  0, NINES_EMALFORMED or
    NINES_ETOOBIG. */
int nines_rpc_quantity (const json_t *j, uint64_t *v);

/*  Parse data ("0x..." even number of digits) appended to out.
    0, NINES_EMALFORMED or NINES_ENOMEM. */
int nines_rpc_data (const json_t *j, nines_buf_t *out);

/*  eth_chainId. */
int nines_rpc_chain_id (nines_rpc_t *self, uint64_t *id);

/*  eth_blockNumber: the number of the latest block. */
int nines_rpc_block_number (nines_rpc_t *self, uint64_t *n);

/*  eth_getTransactionCount(address, tag): the next nonce of address as of
    tag ("pending" counts transactions in the pool). */
int nines_rpc_nonce (nines_rpc_t *self, const uint8_t address [20], const char *tag, uint64_t *n);

/*  eth_getBalance(address, "latest") into wei [32], big-endian. */
int nines_rpc_balance (nines_rpc_t *self, const uint8_t address [20], uint8_t wei [32]);

/*  eth_gasPrice: the node's legacy gas price, wei per gas. */
int nines_rpc_gas_price (nines_rpc_t *self, uint64_t *wei);

/*  eth_maxPriorityFeePerGas: the node's suggested tip, wei per gas. */
int nines_rpc_max_priority_fee (nines_rpc_t *self, uint64_t *wei);

/*  eth_feeHistory(1, "latest", []): the base fee of the next block (the
    last of baseFeePerGas), wei per gas. */
int nines_rpc_next_base_fee (nines_rpc_t *self, uint64_t *wei);

/*  eth_getBlockByNumber(number, false): the block's hash into hash [32]
    and its timestamp (Unix seconds) into *time (may be NULL).
    NINES_ENOTFOUND for a block the node does not have. */
int nines_rpc_block_hash (nines_rpc_t *self, uint64_t number, uint8_t hash [32], uint64_t *time);

/*  eth_estimateGas(msg): gas units.  NINES_EREVERTED when the call would
    revert (nines_rpc_errdata: the revert data). */
int nines_rpc_estimate_gas (nines_rpc_t *self, const nines_rpc_msg_t *msg, uint64_t *gas);

/*  eth_call(msg, tag): the return data appended to out. */
int nines_rpc_eth_call (nines_rpc_t *self, const nines_rpc_msg_t *msg, const char *tag,
                        nines_buf_t *out);

/*  eth_sendRawTransaction(raw): the transaction's hash into hash [32]
    (may be NULL). */
int nines_rpc_send_raw (nines_rpc_t *self, const uint8_t *raw, size_t len, uint8_t hash [32]);

/*  eth_getTransactionReceipt(hash).  NINES_ENOTFOUND while the
    transaction is not mined (the node answers null). */
int nines_rpc_receipt (nines_rpc_t *self, const uint8_t hash [32], nines_receipt_t *r);

/*  eth_getTransactionByHash(hash): its calldata appended to input, its
    sender into from [20] and its recipient into to [20] (zeros for a
    creation); from and to may be NULL.  NINES_ENOTFOUND when the node
    does not know it. */
int nines_rpc_tx_input (nines_rpc_t *self, const uint8_t hash [32], nines_buf_t *input,
                        uint8_t from [20], uint8_t to [20]);

/*  eth_getLogs over blocks [from, to] (inclusive) of contract address
    (NULL: any), with topic 0 in topic0 [0..n_topic0) (none: any).
    *logs a malloc'ed array of *n logs, in the node's order (block, then
    log index); free with nines_rpc_logs_free.  Nodes cap the range or the
    count of one query (NINES_ERPC): split the range and ask again. */
int nines_rpc_get_logs (nines_rpc_t *self, const uint8_t *address, uint64_t from, uint64_t to,
                        const uint8_t (*topic0) [32], size_t n_topic0,
                        nines_log_t **logs, size_t *n);

/*  Free logs from nines_rpc_get_logs. */
void nines_rpc_logs_free (nines_log_t *logs, size_t n);

#endif

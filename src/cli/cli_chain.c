/*  ninesctl on the chain (issue 17 item 4): the ledger commands that make
    sense against the uptime staking contract (proto/CHAIN.md), selected
    by --chain URL --contract ADDR.

    Reads are eth_call of the contract's views (the registry through
    src/evm/chainreg.c; rewards, podInfo, podFees, groups, rawCount, raw) and
    eth_getLogs where the contract only emits events (the pod list from
    PodRegistered, maintenance windows from Maintenance, slashes from
    Slashed with the Incident of the same transaction).  Each read builds
    the reply map nines-ledger answers for the same query (the same keys,
    in the same order: src/ledger/queries.c) and prints it through
    nines_cli_print_reply, the printer of the ledger back end: one table
    and --json path for both.  Writes are EIP-1559 transactions from the
    --chain-key file (src/evm/send.h), waited for until mined.

    Exit codes (README): 0 ok, 1 refused (a reverted transaction or call:
    the contract's custom error decoded) or another runtime failure, 2
    usage or configuration (no contract at ADDR, a key file refused),
    3 the node unreachable or silent within the timeout. */
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "base/args.h"
#include "base/error.h"
#include "cli/cli.h"
#include "cli/cli_chain.h"
#include "crypto/crypto.h"
#include "evm/chainreg.h"
#include "evm/key.h"
#include "evm/send.h"
#include "evm/staking.h"
#include "evm/views.h"
#include "proto/registry.h"
#include "wire/wire.h"

#define RECEIPT_WAIT_MS 120000      /* a write waits this long for its receipt */
#define RECEIPT_POLL_MS 250         /* after RECEIPT_FAST_MS of polls every RECEIPT_FAST_POLL_MS */
#define RECEIPT_FAST_MS 1000
#define RECEIPT_FAST_POLL_MS 5
#define GWEI 1000000000ULL          /* wei in a base unit (UptimeStaking UNIT) */

void
nines_cli_chain_usage (FILE *out)
{
    fputs (
"\n"
"chain (the uptime staking contract, proto/CHAIN.md: --chain URL --contract ADDR,\n"
"before or after the command; writes also --chain-key FILE, the nines-secp256k1-v1\n"
"key file whose address pays and owns):\n"
"  registry | ledger-registry\n"
"                         parameters (parameters(), with bond, challenge_window_ms and\n"
"                         fraud_slash_ppm) and validators; version is the block number\n"
"  validators | ledger-validators\n"
"                         validators: stake registered (in force from the next epoch)\n"
"  pods | ledger-pods     pods (from PodRegistered events; podInfo, podFees)\n"
"  incidents [--pod HEX] | ledger-incidents\n"
"                         merged incidents (groups()) and correlated raw ones\n"
"  slashes [--pod HEX] | ledger-slashes\n"
"                         Slashed events, duration from the Incident of the same tx\n"
"  register-validator --key FILE --stake N\n"
"                         registerValidator(id of key FILE), N base units (1 gwei each)\n"
"  register-pod --pod HEX --stake N [--paid-until T] [--pins HEX]\n"
"                         registerPod: pins the 32-byte hash of the pin set (default 0)\n"
"  paid-until --pod HEX --until T\n"
"                         setPaidUntil (0 = unlimited; earlier than now is raised to now)\n"
"  maintenance --pod HEX --start T --duration DUR\n"
"                         announceMaintenance [T, T + DUR)\n"
"  chain options: --chain URL, --contract ADDR, --chain-key FILE, --from-block N (the\n"
"                 deployment's: event logs are read from there, default 0), --json, -t MS (each\n"
"                 JSON-RPC call; a write waits up to 120 s for its receipt)\n"
"                 exit 1: the contract refused (its error printed), 3: node unreachable\n",
    out);
}

/*  The contract's custom errors (UptimeStaking.sol), for revert reasons. */
static const char *const s_errors [] = {
    "EMalformed(string)", "ENotCommittee(uint256)", "EDupSigner(uint256)", "EQuorum(uint256,uint256)",
    "EStale(string)", "EOrder()", "EUnknown()", "EStake()", "EPerm()", "EExist()", "EFull()",
    "EDuplicate()", "EState(string)", "ENoFraud()", NULL
};

typedef struct {
    const nines_cli_opts_t *o;
    const char *url;
    uint8_t contract [20];
    uint64_t from_block;            /* --from-block: logs are read from there (default 0) */
    nines_rpc_t *rpc;
} chain_t;

/*  The exit code of a failed rpc call, its message printed. */
static int
s_fail (const chain_t *c, const char *what, int rc)
{
    if (rc == NINES_EUNAVAIL || rc == NINES_ETIMEOUT) {
        fprintf (stderr, "error: no answer from the chain node %s within %d ms (%s; is the node "
                 "running and --chain right?)\n", c->url, c->o->timeout_ms, nines_rpc_message (c->rpc));
        return 3;
    }
    if (rc == NINES_EREVERTED) {
        char why [256];
        fprintf (stderr, "error: the contract refused %s: %s\n", what,
                 nines_evm_revert_text (nines_rpc_errdata (c->rpc), s_errors, why, sizeof why));
        return 1;
    }
    fprintf (stderr, "error: %s: %s%s%s\n", what, nines_errname (rc), *nines_rpc_message (c->rpc) ? ": " : "",
             nines_rpc_message (c->rpc));
    return 1;
}

/*  Connect: the options checked and the contract's code present.  0, 2, 3. */
static int
s_open (chain_t *c, const nines_cli_opts_t *o)
{
    c->o = o;
    c->url = nines_cli_opt (o, "--chain");
    const char *addr = nines_cli_opt (o, "--contract");
    if (!c->url || !addr) {
        fputs ("ninesctl: the chain commands need --chain URL and --contract ADDR\n", stderr);
        return 2;
    }
    if (nines_evm_parse_address (c->contract, addr)) {
        fprintf (stderr, "ninesctl: --contract: expected an address 0x + 40 hex digits (EIP-55 when "
                 "mixed case), got '%s'\n", addr);
        return 2;
    }
    if (nines_cli_opt (o, "--from-block") && nines_cli_need_u64 (o, "--from-block", &c->from_block))
        return 2;
    c->rpc = nines_rpc_new (c->url, o->timeout_ms);
    if (!c->rpc)
        return 1;
    char text [NINES_ADDRESS_TEXT];
    json_t *code = NULL;
    int rc = nines_rpc_call (c->rpc, "eth_getCode", json_pack ("[s,s]", nines_evm_checksum (text, c->contract),
                             "latest"), &code);
    if (rc)
        return s_fail (c, "eth_getCode", rc);
    bool empty = !json_is_string (code) || strlen (json_string_value (code)) <= 2;
    json_decref (code);
    if (empty) {
        fprintf (stderr, "error: no contract at %s on %s (--contract wrong, or the chain was reset?)\n",
                 text, c->url);
        return 2;
    }
    return 0;
}

/*  ---- reads ---- */

/*  The reply map's start: {ok: true, ...n more keys}. */
static void
s_reply (msgpack_sbuffer *sb, msgpack_packer *pk, uint32_t n)
{
    nines_packer_init (sb, pk);
    msgpack_pack_map (pk, n + 1);
    nines_pack_kv_bool (pk, "ok", true);
}

/*  Print the reply (freed) through the ledger back end's printer. */
static int
s_print (const chain_t *c, msgpack_sbuffer *sb)
{
    int rc = sb->data ? nines_cli_print_reply ((const uint8_t *) sb->data, sb->size, c->o->json, NULL, stdout) : 1;
    msgpack_sbuffer_destroy (sb);
    return rc;
}

/*  The registry as the contract holds it, stakes as registered (in force
    from the next epoch), validators sorted by id as the ledger's
    (chainreg.c: parameters(), validatorId, stakeAt, the PodRegistered
    logs, podInfo); *index their contract indexes; chain [3] the chain's
    own parameters bond, challengeWindowMs, fraudSlashPpm (the last
    words of parameters()). */
static int
s_read_registry (const chain_t *c, nines_registry_t **reg, uint32_t **index, uint64_t chain [3])
{
    uint64_t epoch;
    nines_buf_t out = { 0 };
    int rc = nines_evm_view_uint (c->rpc, c->contract, "currentEpoch()", NULL, 0, &epoch);
    if (!rc) rc = nines_evm_registry_read (c->rpc, c->contract, c->from_block, epoch + 1, NULL, reg, index);
    if (!rc) rc = nines_evm_view (c->rpc, c->contract, "parameters()", NULL, 0, &out);
    for (size_t i = 0; !rc && i < 3; i++)
        rc = nines_abi_get_uint (out.data, out.len, 21 + i, &chain [i]);
    nines_buf_free (&out);
    if (rc) {
        nines_registry_destroy (reg);
        free (*index);
        *index = NULL;
    }
    return rc;
}

static int
s_registry (const chain_t *c)
{
    nines_registry_t *reg = NULL;
    uint32_t *index = NULL;
    uint64_t chain [3], block;
    int rc = s_read_registry (c, &reg, &index, chain);
    if (!rc) rc = nines_rpc_block_number (c->rpc, &block);
    if (rc) {
        nines_registry_destroy (&reg);
        free (index);
        return s_fail (c, "registry", rc);
    }
    msgpack_sbuffer sb;
    msgpack_packer pk;
    s_reply (&sb, &pk, 7);
    nines_pack_kv_u64 (&pk, "version", block);
    nines_pack_kv_bin (&pk, "ledger", c->contract, 20);
    uint8_t buf [4096];
    size_t len = 0;
    if (nines_params_encode (&reg->params, buf, sizeof buf, &len))
        len = 0;
    nines_pack_kv_bin (&pk, "params", buf, len);
    nines_pack_str (&pk, "validators");
    msgpack_pack_array (&pk, (uint32_t) reg->n_validators);
    for (size_t i = 0; i < reg->n_validators; i++) {
        if (nines_validator_info_encode (&reg->validators [i], buf, sizeof buf, &len))
            len = 0;
        msgpack_pack_bin (&pk, len);
        msgpack_pack_bin_body (&pk, buf, len);
    }
    nines_pack_kv_u64 (&pk, "bond", chain [0]);
    nines_pack_kv_u64 (&pk, "challenge_window_ms", chain [1]);
    nines_pack_kv_u64 (&pk, "fraud_slash_ppm", chain [2]);
    nines_registry_destroy (&reg);
    free (index);
    return s_print (c, &sb);
}

static int
s_validators (const chain_t *c)
{
    nines_registry_t *reg = NULL;
    uint32_t *index = NULL;
    uint64_t chain [3];
    int rc = s_read_registry (c, &reg, &index, chain);
    if (rc)
        return s_fail (c, "validators", rc);
    msgpack_sbuffer sb;
    msgpack_packer pk;
    s_reply (&sb, &pk, 1);
    nines_pack_str (&pk, "rows");
    msgpack_pack_array (&pk, (uint32_t) reg->n_validators);
    for (size_t i = 0; !rc && i < reg->n_validators; i++) {
        const nines_validator_info_t *v = &reg->validators [i];
        uint64_t reward = 0;
        nines_abi_t a = nines_abi_uint (index [i]);
        if ((rc = nines_evm_view_uint (c->rpc, c->contract, "rewards(uint32)", &a, 1, &reward)))
            break;
        msgpack_pack_map (&pk, 7);
        nines_pack_kv_bin (&pk, "id", v->id, NINES_ID_BYTES);
        nines_pack_kv_u64 (&pk, "stake", v->stake);
        nines_pack_kv_u64 (&pk, "weight", nines_validator_weight (v));
        nines_pack_kv_bool (&pk, "eligible", v->stake >= reg->params.min_validator_stake);
        nines_pack_kv_str (&pk, "endpoint", v->endpoint);
        nines_pack_kv_u64 (&pk, "reward", reward);
        nines_pack_kv_u64 (&pk, "periods", 0);
    }
    nines_registry_destroy (&reg);
    free (index);
    if (rc) {
        msgpack_sbuffer_destroy (&sb);
        return s_fail (c, "rewards", rc);
    }
    return s_print (c, &sb);
}

/*  Every log of event (signature) the contract emitted, from block 0. */
static int
s_logs (const chain_t *c, const char *event, nines_log_t **logs, size_t *n)
{
    uint64_t latest;
    uint8_t topic [1][32];
    nines_evm_topic (topic [0], event);
    int rc = nines_rpc_block_number (c->rpc, &latest);
    return rc ? rc : nines_rpc_get_logs (c->rpc, c->contract, c->from_block, latest, topic, 1, logs, n);
}

/*  The registered pods in registration order (PodRegistered's topic 1,
    first sightings): *pods a malloc'd array of *n ids. */
static int
s_pod_list (const chain_t *c, uint8_t (**pods) [32], size_t *n)
{
    nines_log_t *logs = NULL;
    size_t nl = 0;
    *pods = NULL;
    *n = 0;
    int rc = s_logs (c, NINES_EVM_EV_POD, &logs, &nl);
    if (!rc && nl && !(*pods = malloc (nl * sizeof **pods)))
        rc = NINES_ENOMEM;
    for (size_t i = 0; !rc && i < nl; i++) {
        bool seen = logs [i].n_topics < 2 || logs [i].removed;
        for (size_t k = 0; k < *n && !seen; k++)
            seen = !memcmp ((*pods) [k], logs [i].topics [1], 32);
        if (!seen)
            memcpy ((*pods) [(*n)++], logs [i].topics [1], 32);
    }
    nines_rpc_logs_free (logs, nl);
    return rc;
}

typedef struct {
    uint8_t provider [20];
    uint64_t stake, slashed, paid_until, fees;
} pod_t;

/*  podInfo(pod) and podFees(pod); NINES_EUNKNOWN when not registered. */
static int
s_pod (const chain_t *c, const uint8_t pod [32], pod_t *p)
{
    nines_buf_t out = { 0 };
    nines_abi_t a = nines_abi_word (pod);
    uint8_t w [32];
    int rc = nines_evm_view (c->rpc, c->contract, "podInfo(bytes32)", &a, 1, &out);
    if (!rc) rc = nines_abi_get_word (out.data, out.len, 0, w);
    if (!rc) rc = nines_abi_get_uint (out.data, out.len, 1, &p->stake);
    if (!rc) rc = nines_abi_get_uint (out.data, out.len, 2, &p->slashed);
    if (!rc) rc = nines_abi_get_uint (out.data, out.len, 3, &p->paid_until);
    if (!rc) rc = nines_evm_view_uint (c->rpc, c->contract, "podFees(bytes32)", &a, 1, &p->fees);
    nines_buf_free (&out);
    if (rc)
        return rc;
    memcpy (p->provider, w + 12, 20);
    static const uint8_t zero [20];
    return memcmp (p->provider, zero, 20) ? 0 : NINES_EUNKNOWN;
}

static int
s_pods (const chain_t *c)
{
    uint8_t (*pods) [32] = NULL;
    size_t n = 0, nm = 0;
    nines_log_t *maint = NULL;
    int rc = s_pod_list (c, &pods, &n);
    if (!rc) rc = s_logs (c, "Maintenance(bytes32,uint64,uint64)", &maint, &nm);
    msgpack_sbuffer sb;
    msgpack_packer pk;
    s_reply (&sb, &pk, 1);
    nines_pack_str (&pk, "rows");
    msgpack_pack_array (&pk, (uint32_t) n);
    for (size_t i = 0; !rc && i < n; i++) {
        pod_t p;
        if ((rc = s_pod (c, pods [i], &p)))
            break;
        uint64_t windows = 0;
        for (size_t k = 0; k < nm; k++)
            windows += maint [k].n_topics >= 2 && !maint [k].removed && !memcmp (maint [k].topics [1], pods [i], 32);
        uint64_t spent = p.slashed + p.fees;
        msgpack_pack_map (&pk, 9);
        nines_pack_kv_bin (&pk, "pod", pods [i], NINES_ID_BYTES);
        nines_pack_kv_bin (&pk, "provider", p.provider, 20);
        nines_pack_kv_u64 (&pk, "stake", p.stake);
        nines_pack_kv_u64 (&pk, "slashed", p.slashed);
        nines_pack_kv_u64 (&pk, "fees", p.fees);
        nines_pack_kv_u64 (&pk, "remaining", p.stake > spent ? p.stake - spent : 0);
        nines_pack_kv_u64 (&pk, "paid_until", p.paid_until);
        nines_pack_kv_u64 (&pk, "maintenance", windows);
        nines_pack_kv_str (&pk, "facade_url", "");
    }
    free (pods);
    nines_rpc_logs_free (maint, nm);
    if (rc) {
        msgpack_sbuffer_destroy (&sb);
        return s_fail (c, "pods", rc);
    }
    return s_print (c, &sb);
}

/*  The pods a query covers: --pod (refused when not registered: the
    ledger's "unknown pod", exit 1), else every pod.  0, or the exit code. */
static int
s_pod_filter (const chain_t *c, uint8_t (**pods) [32], size_t *n)
{
    if (!c->o->pod) {
        int rc = s_pod_list (c, pods, n);
        return rc ? s_fail (c, "pods", rc) : 0;
    }
    pod_t p;
    if (!(*pods = malloc (sizeof **pods)))
        return 1;
    *n = 1;
    int rc = nines_cli_need_hex (c->o->pod, "--pod", (*pods) [0], 32);
    if (!rc && (rc = s_pod (c, (*pods) [0], &p)) == NINES_EUNKNOWN) {
        fprintf (stderr, "error: unknown pod %s on the contract\n", c->o->pod);
        rc = 1;
    }
    else if (rc && rc != 2)
        rc = s_fail (c, "podInfo", rc);
    if (rc) {
        free (*pods);
        *pods = NULL;
    }
    return rc;
}

/*  One incident row, the keys of the ledger's (ledger_pack_incident). */
static void
s_incident_row (msgpack_packer *pk, const uint8_t pod [32], uint64_t t_down, uint64_t t_up, uint64_t duration,
                uint64_t pieces, uint64_t slashed, bool correlated, bool open)
{
    msgpack_pack_map (pk, 8);
    nines_pack_kv_bin (pk, "pod", pod, NINES_ID_BYTES);
    nines_pack_kv_u64 (pk, "t_down", t_down);
    nines_pack_kv_u64 (pk, "t_up", open ? 0 : t_up);
    nines_pack_kv_u64 (pk, "duration_ms", duration);
    nines_pack_kv_u64 (pk, "pieces", pieces);
    nines_pack_kv_u64 (pk, "slashed", slashed);
    nines_pack_kv_bool (pk, "correlated", correlated);
    nines_pack_kv_bool (pk, "open", open);
}

/*  Rows of one pod: its merged incidents (groups(): tDown, tEnd, duration,
    pieces, open, paid) then its correlated raw ones (raw(): tDown, tUp,
    hasUp, correlated, id); packed when pk, else counted into *rows. */
static int
s_pod_incidents (const chain_t *c, const uint8_t pod [32], msgpack_packer *pk, uint32_t *rows)
{
    nines_buf_t out = { 0 };
    nines_abi_t a [2] = { nines_abi_word (pod), nines_abi_uint (0) };
    const uint8_t *items;
    size_t n_items;
    uint64_t n, w [6], raws = 0;
    int rc = nines_evm_view (c->rpc, c->contract, "groups(bytes32)", a, 1, &out);
    if (!rc) rc = nines_abi_get_uint (out.data, out.len, 1, &n);
    if (!rc) rc = nines_evm_get_static_array (out.data, out.len, 0, 6, &items, &n_items);
    if (!rc && n > n_items)
        rc = NINES_EMALFORMED;
    for (uint64_t g = 0; !rc && g < n; g++) {
        for (size_t k = 0; !rc && k < 6; k++)
            rc = nines_abi_get_uint (items + 6 * 32 * g, 6 * 32, k, &w [k]);
        if (!rc && pk)
            s_incident_row (pk, pod, w [0], w [1], w [2], w [3], w [5], false, w [4] != 0);
        *rows += !pk;
    }
    if (!rc) rc = nines_evm_view_uint (c->rpc, c->contract, "rawCount(bytes32)", a, 1, &raws);
    for (uint64_t i = 0; !rc && i < raws; i++) {
        a [1] = nines_abi_uint (i);
        rc = nines_evm_view (c->rpc, c->contract, "raw(bytes32,uint256)", a, 2, &out);
        for (size_t k = 0; !rc && k < 4; k++)
            rc = nines_abi_get_uint (out.data, out.len, k, &w [k]);
        if (rc || !w [3])
            continue;
        if (pk)
            s_incident_row (pk, pod, w [0], w [1], w [2] && w [1] > w [0] ? w [1] - w [0] : 0, 1, 0, true, !w [2]);
        *rows += !pk;
    }
    nines_buf_free (&out);
    return rc;
}

static int
s_incidents (const chain_t *c)
{
    uint8_t (*pods) [32] = NULL;
    size_t n = 0;
    int rc = s_pod_filter (c, &pods, &n);
    if (rc)
        return rc;
    uint32_t rows = 0;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    s_reply (&sb, &pk, 1);
    for (int pass = 0; !rc && pass < 2; pass++) {     /* count, then pack */
        if (pass) {
            nines_pack_str (&pk, "rows");
            msgpack_pack_array (&pk, rows);
        }
        for (size_t i = 0; !rc && i < n; i++)
            rc = s_pod_incidents (c, pods [i], pass ? &pk : NULL, &rows);
    }
    free (pods);
    if (rc) {
        msgpack_sbuffer_destroy (&sb);
        return s_fail (c, "incidents", rc);
    }
    return s_print (c, &sb);
}

/*  Slashed(pod, tDown, amount, incidentTotal) logs; the duration is the
    Incident(pod, tDown, tUp, durationMs, ...) of the same transaction. */
static int
s_slashes (const chain_t *c)
{
    uint8_t only [32];
    if (c->o->pod && nines_cli_need_hex (c->o->pod, "--pod", only, 32))
        return 2;
    nines_log_t *sl = NULL, *inc = NULL;
    size_t ns = 0, ni = 0;
    int rc = s_logs (c, NINES_EVM_EV_SLASHED, &sl, &ns);
    if (!rc) rc = s_logs (c, "Incident(bytes32,uint64,uint64,uint64,uint64,uint64,bool,bool)", &inc, &ni);
    uint32_t rows = 0;
    for (size_t i = 0; i < ns; i++)
        rows += sl [i].n_topics >= 2 && !sl [i].removed && (!c->o->pod || !memcmp (sl [i].topics [1], only, 32));
    msgpack_sbuffer sb;
    msgpack_packer pk;
    s_reply (&sb, &pk, 1);
    nines_pack_str (&pk, "rows");
    msgpack_pack_array (&pk, rows);
    for (size_t i = 0, seq = 0; !rc && i < ns; i++) {
        const nines_log_t *l = &sl [i];
        uint64_t w [3], d [4], duration = 0;
        if (l->n_topics < 2 || l->removed)
            continue;
        for (size_t k = 0; !rc && k < 3; k++)
            rc = nines_abi_get_uint (l->data, l->data_len, k, &w [k]);
        for (size_t k = 0; !rc && k < ni; k++)
            if (inc [k].n_topics >= 2 && !memcmp (inc [k].tx_hash, l->tx_hash, 32)
             && !memcmp (inc [k].topics [1], l->topics [1], 32)
             && !nines_abi_get_uint (inc [k].data, inc [k].data_len, 0, &d [0]) && d [0] == w [0]
             && !nines_abi_get_uint (inc [k].data, inc [k].data_len, 2, &d [2]))
                duration = d [2];
        if (rc || (c->o->pod && memcmp (l->topics [1], only, 32)))
            continue;
        msgpack_pack_map (&pk, 6);
        nines_pack_kv_u64 (&pk, "seq", seq++);
        nines_pack_kv_bin (&pk, "pod", l->topics [1], NINES_ID_BYTES);
        nines_pack_kv_u64 (&pk, "t_ms", w [0]);
        nines_pack_kv_u64 (&pk, "duration_ms", duration);
        nines_pack_kv_u64 (&pk, "amount", w [1]);
        nines_pack_kv_u64 (&pk, "incident_total", w [2]);
    }
    nines_rpc_logs_free (sl, ns);
    nines_rpc_logs_free (inc, ni);
    if (rc) {
        msgpack_sbuffer_destroy (&sb);
        return s_fail (c, "slashes", rc);
    }
    return s_print (c, &sb);
}

/*  ---- writes ---- */

/*  units base units as wei [32], big-endian (units x 1 gwei). */
static void
s_wei (uint8_t wei [32], uint64_t units)
{
    unsigned __int128 v = (unsigned __int128) units * GWEI;
    memset (wei, 0, 32);
    for (int i = 0; i < 16; i++)
        wei [31 - i] = (uint8_t) (v >> (8 * i));
}

/*  Send calldata (value: units base units) from the --chain-key key and
    wait for its receipt; print {ok, op, tx, block, gas_used} and the keys
    extra adds.  The exit code. */
static int
s_transact (const chain_t *c, const char *op, const nines_buf_t *data, uint64_t units,
            void (*extra) (const chain_t *, msgpack_packer *, const void *), uint32_t n_extra, const void *arg)
{
    const char *path = nines_cli_opt (c->o, "--chain-key");
    if (!path) {
        fputs ("ninesctl: --chain-key FILE is required for a write (the nines-secp256k1-v1 key that pays)\n", stderr);
        return 2;
    }
    if (nines_buf_status (data))
        return 1;
    nines_chainkey_t key;
    int rc = nines_chainkey_load (path, &key);
    if (rc) {
        fprintf (stderr, "ninesctl: --chain-key %s: %s\n", path, nines_strerror (rc));
        return 2;
    }
    nines_sender_t s;
    uint8_t from [20];
    memcpy (from, key.address, 20);
    rc = nines_sender_init (&s, c->rpc, &key);
    nines_chainkey_wipe (&key);
    uint8_t wei [32];
    s_wei (wei, units);
    nines_sent_t sent = { 0 };
    nines_receipt_t r = { 0 };
    if (!rc) rc = nines_sender_send (&s, c->contract, data->data, data->len, units ? wei : NULL, 0, &sent);
    /*  A dev chain mines within milliseconds (anvil: the first poll often
        comes a little early, and a 100 ms poll made every write 115 ms):
        poll fast for the first second, then at the slow pace. */
    if (!rc && (rc = nines_sender_wait (&s, sent.hash, RECEIPT_FAST_MS, RECEIPT_FAST_POLL_MS, &r)) == NINES_ETIMEOUT)
        rc = nines_sender_wait (&s, sent.hash, RECEIPT_WAIT_MS, RECEIPT_POLL_MS, &r);
    nines_sent_free (&sent);
    nines_sender_wipe (&s);
    if (rc == NINES_EREVERTED && r.block_number) {
        /*  Mined but reverted (the state changed between the estimate and
            the block): the reason from the same call replayed on the state
            the block ended with. */
        char tag [24], why [256] = "no reason given";
        nines_rpc_msg_t m = { .from = from, .to = c->contract, .data = data->data, .data_len = data->len,
                              .value = units ? wei : NULL };
        nines_buf_t out = { 0 };
        snprintf (tag, sizeof tag, "0x%llx", (unsigned long long) r.block_number);
        if (nines_rpc_eth_call (c->rpc, &m, tag, &out) == NINES_EREVERTED)
            nines_evm_revert_text (nines_rpc_errdata (c->rpc), s_errors, why, sizeof why);
        nines_buf_free (&out);
        fprintf (stderr, "error: the contract refused %s: %s (reverted in block %llu)\n", op, why,
                 (unsigned long long) r.block_number);
        return 1;
    }
    if (rc)
        return s_fail (c, op, rc);
    msgpack_sbuffer sb;
    msgpack_packer pk;
    s_reply (&sb, &pk, 4 + n_extra);
    nines_pack_kv_str (&pk, "op", op);
    nines_pack_kv_bin (&pk, "tx", r.tx_hash, 32);
    nines_pack_kv_u64 (&pk, "block", r.block_number);
    nines_pack_kv_u64 (&pk, "gas_used", r.gas_used);
    if (extra)
        extra (c, &pk, arg);
    return s_print (c, &sb);
}

/*  The pod's state after a write: stake, paid_until (as the contract
    stored it: raised to now when earlier). */
static void
s_pod_after (const chain_t *c, msgpack_packer *pk, const void *pod)
{
    pod_t p = { 0 };
    s_pod (c, pod, &p);
    nines_pack_kv_bin (pk, "pod", pod, NINES_ID_BYTES);
    nines_pack_kv_u64 (pk, "stake", p.stake);
    nines_pack_kv_u64 (pk, "paid_until", p.paid_until);
}

static int
s_register_validator (const chain_t *c, uint64_t now)
{
    nines_keypair_t kp;
    uint64_t stake;
    int rc = nines_cli_load_key (c->o, &kp);
    if (!rc) rc = nines_cli_need_u64 (c->o, "--stake", &stake);
    if (rc)
        return rc;
    nines_buf_t data = { 0 };
    nines_evm_calldata_register_validator (&data, kp.pk);
    nines_keypair_wipe (&kp);
    rc = s_transact (c, "register-validator", &data, stake, NULL, 0, NULL);
    nines_buf_free (&data);
    return rc;
}

static int
s_register_pod (const chain_t *c, uint64_t now)
{
    uint8_t pod [32], pins [32] = { 0 };
    uint64_t stake, until = 0;
    int rc = nines_cli_need_hex (c->o->pod, "--pod", pod, 32);
    if (!rc) rc = nines_cli_need_u64 (c->o, "--stake", &stake);
    if (!rc && nines_cli_opt (c->o, "--paid-until")) rc = nines_cli_need_time (c->o, "--paid-until", now, &until);
    if (!rc && nines_cli_opt (c->o, "--pins")) rc = nines_cli_need_hex (nines_cli_opt (c->o, "--pins"), "--pins", pins, 32);
    if (rc)
        return rc;
    nines_buf_t data = { 0 };
    nines_evm_calldata_register_pod (&data, pod, pins, until);
    rc = s_transact (c, "register-pod", &data, stake, s_pod_after, 3, pod);
    nines_buf_free (&data);
    return rc;
}

static int
s_paid_until (const chain_t *c, uint64_t now)
{
    uint8_t pod [32];
    uint64_t until;
    int rc = nines_cli_need_hex (c->o->pod, "--pod", pod, 32);
    if (!rc) rc = nines_cli_need_time (c->o, "--until", now, &until);
    if (rc)
        return rc;
    nines_buf_t data = { 0 };
    nines_abi_t a [2] = { nines_abi_word (pod), nines_abi_uint (until) };
    nines_abi_call (&data, "setPaidUntil(bytes32,uint64)", a, 2);
    rc = s_transact (c, "paid-until", &data, 0, s_pod_after, 3, pod);
    nines_buf_free (&data);
    return rc;
}

static void
s_maint_after (const chain_t *c, msgpack_packer *pk, const void *arg)
{
    const uint64_t *w = arg;
    nines_pack_kv_u64 (pk, "start_ms", w [0]);
    nines_pack_kv_u64 (pk, "end_ms", w [1]);
}

static int
s_maintenance (const chain_t *c, uint64_t now)
{
    uint8_t pod [32];
    uint64_t w [2], dur;
    int rc = nines_cli_need_hex (c->o->pod, "--pod", pod, 32);
    if (!rc) rc = nines_cli_need_time (c->o, "--start", now, &w [0]);
    if (!rc) rc = nines_cli_need_dur (c->o, "--duration", &dur);
    if (rc)
        return rc;
    w [1] = w [0] + dur;
    nines_buf_t data = { 0 };
    nines_abi_t a [3] = { nines_abi_word (pod), nines_abi_uint (w [0]), nines_abi_uint (w [1]) };
    nines_abi_call (&data, "announceMaintenance(bytes32,uint64,uint64)", a, 3);
    rc = s_transact (c, "maintenance", &data, 0, s_maint_after, 2, w);
    nines_buf_free (&data);
    return rc;
}

/*  Unix ms now (the +DUR times; the contract judges with its block time). */
static uint64_t
s_now_ms (void)
{
    struct timeval tv;
    gettimeofday (&tv, NULL);
    return (uint64_t) tv.tv_sec * 1000 + (uint64_t) tv.tv_usec / 1000;
}

/*  ---- command line ---- */

typedef struct {
    const char *name;
    int (*read) (const chain_t *);
    int (*write) (const chain_t *, uint64_t now);
} cmd_t;

static const cmd_t s_cmds [] = {
    { "registry", s_registry, NULL }, { "validators", s_validators, NULL }, { "pods", s_pods, NULL },
    { "incidents", s_incidents, NULL }, { "slashes", s_slashes, NULL },
    { "register-validator", NULL, s_register_validator }, { "register-pod", NULL, s_register_pod },
    { "paid-until", NULL, s_paid_until }, { "maintenance", NULL, s_maintenance }, { NULL, NULL, NULL }
};

/*  The command of argv [1..argc): the first word that is not an option or
    an option's value (every ledger option but --json takes a value). */
static int
s_command (int argc, char **argv)
{
    int i = 1;
    while (i < argc && argv [i][0] == '-')
        i += !strcmp (argv [i], "--json") || !strcmp (argv [i], "-h") || !strcmp (argv [i], "--help") ? 1 : 2;
    return i < argc ? i : -1;
}

bool
nines_cli_chain_wanted (int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp (argv [i], "--chain") || !strcmp (argv [i], "--contract") || !strcmp (argv [i], "--chain-key"))
            return true;
    return false;
}

int
nines_cli_chain_main (int argc, char **argv)
{
    int at = s_command (argc, argv);
    if (at < 0) {
        fputs ("ninesctl: --chain: which command? (ninesctl --help, section chain)\n", stderr);
        return 2;
    }
    const char *cmd = argv [at];
    if (!strncmp (cmd, "ledger-", 7))
        cmd += 7;
    for (int i = 1; i < argc; i++)
        if (!strcmp (argv [i], "-h") || !strcmp (argv [i], "--help")) {
            if (nines_usage_help (nines_cli_chain_usage, cmd, stdout))
                nines_cli_chain_usage (stdout);
            return 0;
        }
    /*  argv with the command first, for the ledger commands' parser. */
    char **args = malloc ((size_t) argc * sizeof *args);
    if (!args)
        return 1;
    int n = 0;
    args [n++] = argv [at];
    for (int i = 1; i < argc; i++)
        if (i != at)
            args [n++] = argv [i];
    nines_cli_opts_t o = { .timeout_ms = NINES_CLI_TIMEOUT_MS };
    int rc = nines_cli_parse (n, args, &o, nines_cli_chain_usage);
    free (args);
    if (rc)
        return rc;
    const cmd_t *k = s_cmds;
    while (k->name && strcmp (k->name, cmd))
        k++;
    if (!k->name) {
        fprintf (stderr, "ninesctl: '%s' is not a chain command (with --chain: registry, validators, pods, "
                 "incidents, slashes, register-validator, register-pod, paid-until, maintenance)\n", argv [at]);
        return 2;
    }
    chain_t c = { 0 };
    rc = s_open (&c, &o);
    if (!rc)
        rc = k->read ? k->read (&c) : k->write (&c, s_now_ms ());
    nines_rpc_destroy (&c.rpc);
    return rc;
}

#include "evm/chainreg.h"
#include "evm/abi.h"
#include "evm/staking.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*  eth_call of signature with args on address, the return data in out. */
static int
s_view (nines_rpc_t *rpc, const uint8_t address [20], const char *signature,
        const nines_abi_t *args, size_t n, nines_buf_t *out)
{
    nines_buf_t data = { 0 };
    out->len = 0;
    int rc = nines_abi_call (&data, signature, args, n);
    nines_rpc_msg_t m = { .to = address, .data = data.data, .data_len = data.len };
    if (!rc)
        rc = nines_rpc_eth_call (rpc, &m, "latest", out);
    nines_buf_free (&data);
    return rc;
}

/*  Word i of out as an integer of at most max. */
static int
s_u (const nines_buf_t *out, size_t i, uint64_t max, uint64_t *v)
{
    int rc = nines_abi_get_uint (out->data, out->len, i, v);
    return rc ? NINES_EMALFORMED : *v > max ? NINES_EMALFORMED : NINES_OK;
}

/*  The Params tuple (UptimeStaking.sol, declaration order) into p. */
static int
s_params (const nines_buf_t *o, nines_params_t *p)
{
    uint64_t v [24];
    uint8_t seed [32];
    if (nines_abi_get_word (o->data, o->len, 0, seed))
        return NINES_EMALFORMED;
    for (size_t i = 1; i < 24; i++)
        if (s_u (o, i, UINT64_MAX, &v [i]))
            return NINES_EMALFORMED;
    memcpy (p->genesis_seed, seed, 32);
    p->genesis_ms = v [1];
    p->epoch_ms = v [2];
    p->committee = (uint32_t) v [3];
    p->theta_ppm = (uint32_t) v [4];
    p->round_timeout_ms = v [5];
    p->min_validator_stake = v [6];
    p->d_mid_ms = v [7];
    p->s_ms = v [8];
    p->max_slash_ppm = (uint32_t) v [9];
    p->grace_ms = v [10];
    p->notice_ms = v [11];
    p->maint_budget_ms = v [12];
    p->maint_period_ms = v [13];
    p->merge_factor = (uint32_t) v [14];
    p->merge_min_ms = v [15];
    p->merge_max_ms = v [16];
    p->corr_window_ms = v [17];
    p->fee_ppm = (uint32_t) v [18];
    p->fee_period_ms = v [19];
    p->canary_window_ms = v [20];
    return p->epoch_ms && p->committee <= 255 ? NINES_OK : NINES_EMALFORMED;
}

static int
s_validators (nines_rpc_t *rpc, const uint8_t address [20], uint64_t epoch,
              const nines_registry_t *overlay, nines_registry_t *reg, uint32_t **index)
{
    nines_buf_t o = { 0 };
    uint64_t n = 0;
    int rc = s_view (rpc, address, "validatorCount()", NULL, 0, &o);
    if (!rc)
        rc = s_u (&o, 0, 1u << 20, &n);
    uint8_t (*ids) [32] = rc ? NULL : calloc (n + 1, 32);
    if (!rc && !ids)
        rc = NINES_ENOMEM;
    for (uint64_t i = 0; i < n && !rc; i++) {
        nines_abi_t a [2] = { nines_abi_uint (i), nines_abi_uint (epoch) };
        nines_validator_info_t v = { 0 };
        if ((rc = s_view (rpc, address, "validatorId(uint32)", a, 1, &o))
        ||  (rc = nines_abi_get_word (o.data, o.len, 0, v.id) ? NINES_EMALFORMED : NINES_OK)
        ||  (rc = s_view (rpc, address, "stakeAt(uint32,uint64)", a, 2, &o))
        ||  (rc = s_u (&o, 0, UINT64_MAX, &v.stake)))
            break;
        memcpy (ids [i], v.id, 32);
        const nines_validator_info_t *net = overlay ? nines_registry_validator (overlay, v.id) : NULL;
        if (net)
            memcpy (v.endpoint, net->endpoint, sizeof v.endpoint);
        rc = nines_registry_put_validator (reg, &v);
    }
    nines_buf_free (&o);
    *index = rc ? NULL : malloc ((reg->n_validators + 1) * sizeof **index);
    if (!rc && !*index)
        rc = NINES_ENOMEM;
    for (size_t j = 0; !rc && j < reg->n_validators; j++)
        for (uint64_t i = 0; i < n; i++)
            if (memcmp (ids [i], reg->validators [j].id, 32) == 0)
                (*index) [j] = (uint32_t) i;
    free (ids);
    return rc;
}

static int
s_pods (nines_rpc_t *rpc, const uint8_t address [20], uint64_t from_block,
        const nines_registry_t *overlay, nines_registry_t *reg)
{
    uint64_t head;
    uint8_t topic [32];
    nines_evm_topic (topic, NINES_EVM_EV_POD);
    nines_log_t *logs = NULL;
    size_t n = 0;
    int rc = nines_rpc_block_number (rpc, &head);
    if (!rc)
        rc = nines_rpc_get_logs (rpc, address, from_block, head, &topic, 1, &logs, &n);
    nines_buf_t o = { 0 };
    for (size_t i = 0; i < n && !rc; i++) {
        if (logs [i].n_topics < 2)
            continue;
        nines_pod_info_t p;
        const nines_pod_info_t *net = overlay ? nines_registry_pod (overlay, logs [i].topics [1]) : NULL;
        if (net)
            p = *net;
        else {
            memset (&p, 0, sizeof p);
            snprintf (p.method, sizeof p.method, "GET");
            snprintf (p.path, sizeof p.path, "/");
        }
        memcpy (p.pod, logs [i].topics [1], 32);
        nines_abi_t a = nines_abi_word (p.pod);
        uint64_t stake, slashed, paid;
        if ((rc = s_view (rpc, address, "podInfo(bytes32)", &a, 1, &o))
        ||  (rc = nines_abi_get_word (o.data, o.len, 0, p.provider) ? NINES_EMALFORMED : NINES_OK)
        ||  (rc = s_u (&o, 1, UINT64_MAX, &stake)) || (rc = s_u (&o, 2, UINT64_MAX, &slashed))
        ||  (rc = s_u (&o, 3, UINT64_MAX, &paid)))
            break;
        p.stake = stake > slashed ? stake - slashed : 0;
        p.paid_until_ms = paid;
        rc = nines_registry_put_pod (reg, &p);  /* the same pod twice: replaced */
    }
    nines_buf_free (&o);
    nines_rpc_logs_free (logs, n);
    return rc;
}

int
nines_evm_registry_read (nines_rpc_t *rpc, const uint8_t address [20], uint64_t from_block,
                         uint64_t epoch, const nines_registry_t *overlay,
                         nines_registry_t **out, uint32_t **index)
{
    *out = NULL;
    *index = NULL;
    nines_registry_t *reg = nines_registry_new ();
    if (!reg)
        return NINES_ENOMEM;
    if (overlay)
        reg->params = overlay->params;
    nines_buf_t o = { 0 };
    int rc = s_view (rpc, address, "parameters()", NULL, 0, &o);
    if (!rc)
        rc = s_params (&o, &reg->params);
    nines_buf_free (&o);
    if (!rc)
        rc = s_validators (rpc, address, epoch, overlay, reg, index);
    if (!rc)
        rc = s_pods (rpc, address, from_block, overlay, reg);
    if (rc) {
        free (*index);
        *index = NULL;
        nines_registry_destroy (&reg);
        return rc;
    }
    *out = reg;
    return NINES_OK;
}

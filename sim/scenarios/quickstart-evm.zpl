#   quickstart-evm: the README demo settled on a local EVM chain.  The
#   quickstart's network (five validators, three pods, pod 0's demo app
#   killed for 40 seconds) with network/ledger = evm: nines-sim starts
#   anvil (contracts/node_modules) on 127.0.0.1, deploys the contract with
#   these params, registers every validator and pod by transaction, and
#   ninesd claims the evidence on the chain (ledger/kind = evm).  The
#   outage must be detected, claimed, finalized after an 8 s challenge
#   window and slashed on the chain, with a slash exactly what
#   nines-ledger computes for the same reports and to stake x max_slash x
#   S(d) for the downtime its DOWN and UP prove, and settled within 30 s of
#   the UP report.  Nothing else may be claimed.
scenario
    name = quickstart-evm
    seed = 1
    duration = 75s
    validators = 5
    pods = 3
    providers = 3
    stake = 1000000
    pod_stake = 1000000
params
    epoch = 2s
    r = 3
    committee = 5
    theta = 0.6667
    probe_timeout = 1s
    retry_delay = 500ms
    vote_delay = 500ms
    round_timeout = 5s
    down_probe = 1s
    grace = 10s
    d_mid = 2m
    s = 30s
    merge_min = 30s
    corr_window = 20s
    canary_window = 10s
network
    ledger = evm
    challenge_window = 8s
    block_time = 1s
fault
    at = 10s
    kind = app_down
    pod = 0
    duration = 40s
expect
    incidents = 1
    false_incidents = 0
    slashed = 1
    max_latency = 15s
    voided = 0
    slash_ledger = 0
    slash_evidenced = 0
    max_settle = 30s

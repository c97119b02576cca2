#   late-settle-evm: a slash the chain pays after the account.  A 15 s
#   outage of pod 0 on the quickstart-evm network: its UP claim is
#   accounted before the correlated-outage window (20 s) and the challenge
#   window (8 s) after its DOWN have both passed, so the contract pays
#   nothing then (and logs no Incident); ninesd's settle after both
#   windows pays it.  nines-sim waits for that settle: the slash on the
#   chain must be exactly nines-ledger's for the same reports and
#   stake x max_slash x S(d) for the downtime they prove, within 30 s of
#   the UP report.
scenario
    name = late-settle-evm
    seed = 1
    duration = 30s
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
    bond = 1000
    fraud_slash = 10%
fault
    at = 3s
    kind = app_down
    pod = 0
    duration = 15s
expect
    incidents = 1
    false_incidents = 0
    slashed = 1
    slash_evidenced = 0
    max_settle = 30s
    voided = 0
    slash_ledger = 0

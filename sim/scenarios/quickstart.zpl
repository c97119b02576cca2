#   quickstart: the README demo.  Five validators watch three pods; the demo
#   app of pod 0 is killed for 40 seconds.  The network must detect it,
#   report it to the ledger and slash the provider; nothing else may be
#   reported.  Parameters are scaled down so it all fits in under 2 minutes:
#   2 s epochs, a 10 s grace, a slashing curve in minutes (d_mid 2 min,
#   s 30 s) so a 40 s outage earns a small but visible slash, and a 20 s
#   correlated-outage window (the ledger pays nothing before it ends).
scenario
    name = quickstart
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

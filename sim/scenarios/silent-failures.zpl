#   silent-failures: failures where no process dies.  Pod 1's facade is
#   frozen (SIGSTOP: the kernel still accepts TCP connections, nothing ever
#   answers, heartbeats time out); pod 2's app keeps running but answers
#   503 (the facade signs app_unhealthy).  Both must be detected, reported
#   and slashed; pod 0 must stay clean.
scenario
    name = silent-failures
    seed = 5
    duration = 55s
    validators = 5
    pods = 3
    providers = 3
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
    kind = facade_stop
    pod = 1
    duration = 25s
fault
    at = 10s
    kind = app_unhealthy
    pod = 2
    duration = 25s
expect
    incidents = 2
    false_incidents = 0
    slashed = 2
    max_latency = 15s

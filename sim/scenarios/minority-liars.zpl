#   minority-liars: 2 of 7 validators vote "down" on every pod, always
#   (node/behaviour = always_down).  Their weight, 2/7 of every committee,
#   stays below the quorum fraction theta = 2/3, so no DOWN report may form
#   from their lies: the three healthy pods must end with no incident.  One
#   real 30-second outage of pod 1 checks that honest detection still works
#   beside them.
scenario
    name = minority-liars
    seed = 7
    duration = 60s
    validators = 7
    pods = 3
    providers = 3
params
    epoch = 2s
    r = 3
    committee = 7
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
    corr_window = 15s
    canary_window = 10s
adversaries
    always_down = 2
fault
    at = 10s
    kind = app_down
    pod = 1
    duration = 30s
expect
    incidents = 1
    false_incidents = 0
    slashed = 1
    max_latency = 15s

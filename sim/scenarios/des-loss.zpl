#   des-loss: 5 % of peer messages and 5 % of heartbeats are lost.  A lost
#   heartbeat looks like a failure to the prober: it retries, then opens a
#   round; the committee's 2/3 quorum must keep every such round from
#   turning into an incident, while the 50 real outages are still found.
scenario
    name = des-loss
    seed = 5
    duration = 30m
    validators = 1000
    pods = 10000
    providers = 100
network
    latency = 20ms
    jitter = 30ms
    loss = 0.05
    probe_loss = 0.05
fault
    at = 2m
    kind = app_down
    pod = 0
    duration = 3m
    targets = 50
    spread = 20m
expect
    false_incidents = 0

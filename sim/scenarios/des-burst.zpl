#   des-burst: bursty loss (Gilbert-Elliott).  Every validator's link is
#   bad for 3 s on average every 23 s (exponential sojourns) and then
#   loses 60 % of its messages and heartbeats, on top of 2 % independent
#   loss.  A member in a burst sees its other heartbeats fail too, needs
#   more failures before it may vote down, or abstains; a burst shorter
#   than the vote window does not fail all of a member's attempts.
#   Scaled down for the test suite like des-loss20.
scenario
    name = des-burst
    seed = 21
    duration = 10m
    validators = 200
    pods = 1000
    providers = 20
network
    latency = 20ms
    jitter = 30ms
    loss = 0.02
    probe_loss = 0.02
    burst_loss = 0.6
    burst_good = 20s
    burst_bad = 3s
fault
    at = 1m
    kind = app_down
    pod = 0
    duration = 3m
    targets = 20
    spread = 5m
expect
    false_incidents = 0
    incidents = 20
    p99_latency = 30s
    missed = 0
    coverage = 0.98

#   pin-rotation (issue 11 item 5): pod 1 rotates its TLS key and its
#   facade key the way PROTOCOL.md section 10.2 says: at 10 s it registers
#   the next SPKI pin and facade key beside the current ones, at 25 s its
#   facade reloads (SIGHUP) with the next certificate, TLS key and facade
#   key, at 40 s it registers the next ones only.  A rotation is no outage:
#   nothing may be reported for pod 1.  With one pin per pod this reported
#   pod 1 down about a minute after the reload and slashed its provider;
#   `announce = 0` in the fault plays that naive order (switch, then
#   register the new pin) and gets the false incident back.
#   Meanwhile pod 0's app dies for 30 s, so the run also shows that the
#   validators were watching: that outage is detected and slashed.
scenario
    name = pin-rotation
    seed = 5
    duration = 60s
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
    kind = pin_rotation
    pod = 1
    duration = 30s
fault
    at = 10s
    kind = app_down
    pod = 0
    duration = 30s
expect
    incidents = 1
    false_incidents = 0
    slashed = 1
    max_latency = 15s

#!/bin/sh
# crash-test.sh — kill `jifen serve` with SIGKILL in the middle of a load,
# restart it, let the re-deliveries through, and check that every
# acknowledged award is in the ledger exactly once and `jifen verify` is
# clean; once per kill point, each on a fresh store.
#
# It runs TestCrash in cmd/jifen-load (build tag "crash", so ordinary
# `go test ./...` skips it), which builds jifen and jifen-load, serves a
# fake Slack Web API and Feishu Open API, and drives the server over
# loopback with cmd/jifen-load. Arguments go to the test:
#
#   scripts/crash-test.sh                         # 5 kill points, 300/s for 4s, Slack and Feishu
#   scripts/crash-test.sh -crash.points 10 -crash.rate 800
#   scripts/crash-test.sh -crash.platform feishu -crash.seed 42
#
# The summary table (kill point, acked awards, found, lost, doubled) is at
# the end of the output; the exit status is non-zero when any check fails.
#
# Then TestCrashOutbox kills serve twice while it sends the monthly
# personal reports (1,000 members on both platforms by default) and checks
# that every report arrived: on Feishu exactly once, on Slack with at most
# the sends in flight at a kill repeated:
#
#   scripts/crash-test.sh -crash.outbox.members 10000 -crash.outbox.platform feishu
set -eu
cd "$(dirname "$0")/.."
exec go test -tags crash -run '^TestCrash(Outbox)?$' -count=1 -v -timeout 60m ./cmd/jifen-load/ -args "$@"

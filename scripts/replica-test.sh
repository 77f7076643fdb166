#!/bin/sh
# replica-test.sh — three `jifen serve` replicas on one PostgreSQL database:
# the load generator spreads signed Slack and Feishu deliveries over them
# and sends every re-delivery to another replica than the first; one
# replica is killed with SIGKILL in the middle of a load, at each kill
# point, and restarted. Then it checks that every acknowledged award is in
# the ledger exactly once, that 64 concurrent awards at a receiver capped
# at three apply three, that 40 concurrent redemptions of an item with two
# in stock redeem two, that a scheduled leaderboard due while all three run
# is posted once, and that `jifen verify` is clean.
#
# It runs TestReplicas in cmd/jifen-load (build tag "replicas", so ordinary
# `go test ./...` skips it) on a fresh database of the server that
# JIFEN_TEST_POSTGRES names (a URL whose role may create databases), e.g.
#
#   JIFEN_TEST_POSTGRES=postgres://jifen:secret@127.0.0.1:5432/postgres scripts/replica-test.sh
#   scripts/replica-test.sh -replicas.points 6 -replicas.rate 500
#   scripts/replica-test.sh -replicas.seed 42
#
# The summary table (kill point, replica killed, acked awards, found,
# lost, doubled; the cap, the stock and the schedule) is at the end of the
# output; the exit status is non-zero when any check fails.
#
# With -replicas.bench it measures instead (TestReplicasBench): awards per
# second with 64 requests in flight over one and three replicas on
# PostgreSQL and one on bbolt, and the acknowledgement latency at 500
# requests a second; the medians of three runs. Give it a server with
# fsync on:
#
#   JIFEN_TEST_POSTGRES=postgres://… scripts/replica-test.sh -replicas.bench
set -eu
cd "$(dirname "$0")/.."
if [ -z "${JIFEN_TEST_POSTGRES:-}" ]; then
	echo "replica-test.sh: set JIFEN_TEST_POSTGRES to a PostgreSQL server URL whose role may create databases" >&2
	exit 2
fi
exec go test -tags replicas -run '^TestReplicas(Bench)?$' -count=1 -v -timeout 30m ./cmd/jifen-load/ -args "$@"

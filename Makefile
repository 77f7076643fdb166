# The everyday targets. Each is a command you can also type yourself.

# Benchmarks that build a large store keep it here between runs.
JIFEN_BENCH_DIR ?= /tmp/jifen-bench

.PHONY: test race lint bench release crash-test container-test

test:
	go test ./...

race:
	go test -race -count=1 ./...

lint:
	go vet ./...
	go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
	@unformatted=$$(gofmt -l .); if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi

# BENCHMARKS.md, "Core benchmarks".
bench:
	go test ./bot -run '^$$' -bench 'Award|DiskFloor' -count 5 -benchtime 2s
	go test ./bot -run '^$$' -bench Queries -count 5
	go test ./bot/slack -run '^$$' -bench SlashCommandAck -count 5
	JIFEN_BENCH_DIR=$(JIFEN_BENCH_DIR) go test ./report -run '^$$' -bench ReportYear -benchtime 3x
	JIFEN_BENCH_DIR=$(JIFEN_BENCH_DIR) go test ./simulate -run '^$$' -bench SimulateYear -benchtime 3x
	JIFEN_BENCH_DIR=$(JIFEN_BENCH_DIR) go test ./store -run '^$$' -bench ScanIndex -benchtime 3x
	go test ./cmd/jifen -run '^$$' -bench PersonalReports -benchtime 1x
	JIFEN_BENCH_DIR=$(JIFEN_BENCH_DIR) go test ./cmd/jifen -run '^$$' -bench ExportLedger -benchtime 1x

release:
	scripts/release.sh

crash-test:
	scripts/crash-test.sh

# Build the container image with buildah and run it with podman against a
# fake Slack API (root; README, "Run in production").
container-test:
	scripts/container-test.sh

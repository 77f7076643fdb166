// Package bench compares jifen's ledger with SQLite on the same workloads:
// durable awards from parallel writers, a month's leaderboard, one member's
// score and a year's report, over the same seeded synthetic ledger of
// 10,000 members and 1,000,000 entries; and what grows with the directory
// (the leaderboards, the score) again over the same ledger given to
// 100,000 members.
//
// It is a module of its own (jifen/bench) so that the bot never depends on
// an SQL driver. The SQLite side uses modernc.org/sqlite (SQLite compiled
// to Go, no cgo) the way a competent user would: WAL with synchronous=FULL,
// one IMMEDIATE transaction per award that inserts the entry and updates a
// member × month aggregate, covering indexes for the queries, and each
// query also answered from the maintained aggregate table.
//
//	cd bench && go test -run '^$' -bench . -count 5
//	cd bench && go run ./cmd/compare            # the table, medians of 5 runs
//	cd bench && go run ./cmd/compare -quick     # a smoke run
//	cd bench && go run ./cmd/filestats FILE     # where a store file's bytes go
//
// The datasets are built once into $JIFEN_BENCH_DIR (or the temporary
// directory) and reused by later runs; see dataset.go.
package bench

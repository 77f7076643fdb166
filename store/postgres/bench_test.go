package postgres

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"jifen"
	"jifen/config"
	"jifen/locale"
	"jifen/report"
	"jifen/rules"
	"jifen/store"
	"jifen/store/pgtest"
	"jifen/store/storetest"
)

// The benchmarks measure throughput with fsync on: run them against a
// cluster of their own started without the test server's fsync=off and
// synchronous_commit=off (see BENCHMARKS.md).

// 64 concurrent awards (the delivery's key, the limit checks, then the
// entry with its aggregates, one transaction each) at receivers spread over 10,000
// members, from 200 givers, on one or three Store values (replicas).
func BenchmarkAward64(b *testing.B) {
	for _, replicas := range []int{1, 3} {
		b.Run(fmt.Sprintf("replicas=%d", replicas), func(b *testing.B) {
			url := pgtest.DB(b)
			seedHeads(b, url)
			var stores []*Store
			for range replicas {
				s, err := Open(context.Background(), url, Options{Location: shanghai, MaxConns: int32((64 + replicas - 1) / replicas)})
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				stores = append(stores, s)
			}
			var n atomic.Int64
			b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				s := stores[int(n.Add(1))%len(stores)]
				for pb.Next() {
					if err := benchAward(s); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "awards/s")
			var retries int64
			for _, s := range stores {
				retries += s.Retries()
			}
			b.ReportMetric(float64(retries)/float64(b.N), "retries/award")
		})
	}
}

// benchAward writes one award of the benchmarks: a giver of 200 to a
// receiver of 10,000, under a key of its own (every award of the bot has
// its delivery's), its giver's allowance and receiver's points read
// first, as the limits read them.
func benchAward(s *Store) error {
	giver := fmt.Sprintf("M%d", rand.IntN(200))
	receiver := fmt.Sprintf("E%d", rand.IntN(10000))
	key := fmt.Sprintf("bench:%d", rand.Int64())
	_, _, err := s.write(context.Background(), key, func(tx *Tx) ([]byte, error) {
		month := jifen.PeriodOf(jifen.Month, tx.Now(), shanghai)
		_ = tx.Usage().GiverUse(giver, rules.PoolAward, month)
		_ = tx.Usage().Net(receiver, month)
		_, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Giver: giver, Receiver: receiver, Points: 5,
			Category: "teamwork", Behavior: "help", Reason: "benchmark"})
		return nil, err
	})
	return err
}

// seedHeads gives the benchmarks' members their rows in heads, as a
// running ledger has them: the first award of a member creates it.
func seedHeads(b *testing.B, url string) {
	s, err := Open(context.Background(), url, Options{Location: shanghai})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if _, err := s.pool.Exec(context.Background(), `INSERT INTO heads (member)
		SELECT 'M' || i FROM generate_series(0, 199) i UNION ALL SELECT 'E' || i FROM generate_series(0, 9999) i`); err != nil {
		b.Fatal(err)
	}
}

// One writer awarding in a loop: an award's latency, its round trips
// included.
func BenchmarkAward1(b *testing.B) {
	url := pgtest.DB(b)
	seedHeads(b, url)
	s, err := Open(context.Background(), url, Options{Location: shanghai})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for b.Loop() {
		if err := benchAward(s); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "awards/s")
}

// The same rows inserted into the entries table by 64 goroutines, one
// transaction each, nothing else: the floor the awards are measured
// against.
func BenchmarkBareInsert64(b *testing.B) {
	url := pgtest.DB(b)
	s, err := Open(context.Background(), url, Options{Location: shanghai})
	if err != nil {
		b.Fatal(err)
	}
	s.Close()
	pool, err := pgxpool.New(context.Background(), url+"&pool_max_conns=64")
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_, err := pool.Exec(context.Background(), `INSERT INTO entries (kind, at, effective, giver, receiver, points,
				category, behavior, reason) VALUES ('award', now(), now(), $1, $2, 5, 'teamwork', 'help', 'benchmark')`,
				fmt.Sprintf("M%d", rand.IntN(200)), fmt.Sprintf("E%d", rand.IntN(10000)))
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "inserts/s")
}

// The statements of one award of BenchmarkAward64 (each member's lock
// with the figures its limit reads, the entry, its aggregates and
// per-behavior use, the key with its result, COMMIT) sent by 64
// goroutines as one pipeline each, in one transaction, with no
// application code: the floor of an award on this server.
func BenchmarkAwardFloor64(b *testing.B) {
	url := pgtest.DB(b)
	s, err := Open(context.Background(), url, Options{Location: shanghai})
	if err != nil {
		b.Fatal(err)
	}
	s.Close()
	seedHeads(b, url)
	pool, err := pgxpool.New(context.Background(), url+"&pool_max_conns=64")
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	now := time.Now()
	month := jifen.PeriodOf(jifen.Month, now, shanghai).Key
	e := &jifen.Entry{Kind: jifen.KindAward, Giver: "M", Receiver: "E", Points: 5, Category: "teamwork", Behavior: "help", Effective: now}
	pending := `SELECT created_at, giver, receivers, points, behavior FROM approvals
		WHERE status = 'pending' AND (giver = $1 OR $1 = ANY (receivers))`
	b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			giver, receiver := fmt.Sprintf("M%d", rand.IntN(200)), fmt.Sprintf("E%d", rand.IntN(10000))
			key := fmt.Sprintf("floor:%d", rand.Int64())
			ee := *e
			ee.Giver, ee.Receiver = giver, receiver
			fx := effectsOf(&ee, nil, shanghai)
			bt := &pgx.Batch{}
			bt.Queue("BEGIN ISOLATION LEVEL READ COMMITTED")
			bt.Queue("SELECT last_at FROM heads WHERE member = $1 FOR UPDATE", giver)
			bt.Queue("SELECT extra, net, plus, minus, count FROM aggregates WHERE period = $1 AND kind = $2 AND member = $3", month, aggGiver, giver)
			bt.Queue(pending, giver)
			bt.Queue("SELECT last_at FROM heads WHERE member = $1 FOR UPDATE", receiver)
			bt.Queue("SELECT extra, net, plus, minus, count FROM aggregates WHERE period = $1 AND kind = $2 AND member = $3", month, aggTotal, receiver)
			bt.Queue(pending, receiver)
			bt.Queue(`WITH h AS (UPDATE heads SET last_at = now() WHERE member = $2)
				INSERT INTO entries (kind, at, effective, giver, receiver, points, category, behavior, reason)
				VALUES ('award', now(), now(), $1, $2, 5, 'teamwork', 'help', 'benchmark')`, giver, receiver)
			fx.queueAdd(bt)
			bt.Queue("INSERT INTO idempotency (key, at, expires, result) VALUES ($1, now(), now() + interval '1 day', '')", key)
			bt.Queue("COMMIT")
			if err := pool.SendBatch(context.Background(), bt).Close(); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "awards/s")
}

// benchLedger builds (once, kept in JIFEN_BENCH_DIR) a bbolt store of
// members members and entries entries over 2026, the shape of the
// report's benchmark, and copies it into a fresh PostgreSQL database with
// the aggregates the store would have computed.
func benchLedger(b *testing.B, members, entries int) (*store.Store, *Store) {
	b.Helper()
	cfg := benchConfig(b)
	name := fmt.Sprintf("jifen-pgbench-%d-%d.db", members, entries)
	path := storetest.Cached(b, name, func(path string) error {
		clock := &benchClock{}
		st, err := store.Open(path, store.Options{Location: shanghai, NoSync: true, Clock: clock})
		if err != nil {
			return err
		}
		defer st.Close()
		depts := []string{"销售部", "客服部", "研发部", "生产部", "人力资源部", "财务部", "质量部", "采购部"}
		ms := []jifen.Member{{ID: "admin", Name: "管理员", Role: jifen.RoleAdmin}}
		for i := range members {
			ms = append(ms, jifen.Member{ID: fmt.Sprintf("e%05d", i), Name: fmt.Sprintf("员工%05d", i), Department: depts[i%len(depts)],
				Role: jifen.RoleEmployee, Joined: time.Date(2018+i%9, time.Month(1+i%12), 1, 0, 0, 0, 0, time.UTC)})
		}
		if err := st.SyncMembers(context.Background(), ms); err != nil {
			return err
		}
		rng := rand.New(rand.NewPCG(3, 5))
		behaviors := cfg.Rules.Behaviors
		start := time.Date(2026, 1, 1, 0, 0, 0, 0, shanghai)
		span := 360 * 24 * time.Hour
		const chunk = 10_000
		next := func(first int) { clock.t = start.Add(span / time.Duration(entries) * time.Duration(first+chunk)) }
		return storetest.Fill(st, entries, chunk, next, func(_ store.Txn, i int) jifen.Entry {
			bh := behaviors[rng.IntN(len(behaviors))]
			pts := bh.Min + rng.Int64N(bh.Max-bh.Min+1)
			kind := jifen.KindAward
			if pts < 0 {
				kind = jifen.KindDeduct
			}
			return jifen.Entry{Kind: kind, At: clock.t, Effective: start.Add(span / time.Duration(entries) * time.Duration(i)), Giver: "admin",
				Receiver: ms[1+rng.IntN(members)].ID, Points: pts, Category: bh.Category, Behavior: bh.ID, Reason: "bench", RuleVersion: 1}
		})
	})
	clock := jifen.ClockFunc(func() time.Time { return time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC) })
	st, err := store.Open(path, store.Options{Location: shanghai, Clock: clock})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	ps, err := Open(context.Background(), pgtest.DB(b), Options{Location: shanghai, Clock: clock})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ps.Close() })
	t0 := time.Now()
	copyLedger(b, st, ps)
	b.Logf("copied %d entries into PostgreSQL in %v", entries, time.Since(t0))
	return st, ps
}

// copyLedger copies the members and entries of st into ps by COPY, and
// writes the aggregates and per-behavior use the entries make.
func copyLedger(b *testing.B, st *store.Store, ps *Store) {
	ctx := context.Background()
	if err := ps.PutMembers(ctx, st.Members()); err != nil {
		b.Fatal(err)
	}
	aggs, behs := map[aggKey]store.Agg{}, map[behKey]behUse{}
	var rows [][]any
	flush := func() {
		if _, err := ps.pool.CopyFrom(ctx, pgx.Identifier{"entries"}, []string{"id", "kind", "at", "effective", "giver", "receiver",
			"points", "category", "behavior", "reason", "rule_version", "source", "quantity"}, pgx.CopyFromRows(rows)); err != nil {
			b.Fatal(err)
		}
		rows = rows[:0]
	}
	err := st.ForEachEntry(func(e *jifen.Entry) error {
		if e.Kind == jifen.KindRevoke {
			return fmt.Errorf("the benchmark ledger has no revokes")
		}
		rows = append(rows, []any{int64(e.ID), string(e.Kind), e.At, e.Effective, e.Giver, e.Receiver, e.Points, e.Category,
			e.Behavior, e.Reason, e.RuleVersion, e.Source, e.Quantity})
		if len(rows) == 50_000 {
			flush()
		}
		a, bh := effects(e, nil, shanghai)
		for k, v := range a {
			o := aggs[k]
			aggs[k] = store.Agg{Net: o.Net + v.Net, Plus: o.Plus + v.Plus, Minus: o.Minus + v.Minus, Count: o.Count + v.Count}
		}
		for k, v := range bh {
			o := behs[k]
			behs[k] = behUse{o.times + v.times, o.points + v.points}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	flush()
	for k, a := range aggs {
		rows = append(rows, []any{k.period, k.kind, k.member, k.extra, a.Net, a.Plus, a.Minus, a.Count})
	}
	if _, err := ps.pool.CopyFrom(ctx, pgx.Identifier{"aggregates"}, []string{"period", "kind", "member", "extra", "net", "plus", "minus", "count"},
		pgx.CopyFromRows(rows)); err != nil {
		b.Fatal(err)
	}
	rows = rows[:0]
	for k, u := range behs {
		rows = append(rows, []any{k.period, k.member, k.behavior, u.times, u.points})
	}
	if _, err := ps.pool.CopyFrom(ctx, pgx.Identifier{"behavior_use"}, []string{"period", "member", "behavior", "times", "points"},
		pgx.CopyFromRows(rows)); err != nil {
		b.Fatal(err)
	}
	for _, q := range []string{"SELECT setval('entries_id_seq', (SELECT max(id) FROM entries))", "VACUUM ANALYZE"} {
		if _, err := ps.pool.Exec(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
}

type benchClock struct{ t time.Time }

func (c *benchClock) Now() time.Time { return c.t }

func benchConfig(b *testing.B) *config.Config {
	b.Setenv("JIFEN_STORE", filepath.Join(b.TempDir(), "unused.db"))
	cfg, err := config.Load("../../config.example.yaml")
	if err != nil {
		b.Fatal(err)
	}
	return cfg
}

// A month's top 10 and a member's rank (what /leaderboard and /score
// read), at 10,000 members and 1,000,000 entries, through Read on both
// stores: bbolt's in-memory board, and PostgreSQL's board kept by the
// replica (and, cold, read from the database at each call); the floor is
// an empty Read on PostgreSQL (its BEGIN and ROLLBACK).
func BenchmarkBoard1M(b *testing.B) {
	st, ps := benchLedger(b, 10_000, 1_000_000)
	month := jifen.PeriodOf(jifen.Month, time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC), shanghai)
	ctx := context.Background()
	// changed moves the boards' counter, as an award on any replica does:
	// the next board is read again from the month's points.
	changed := func() {
		if _, err := ps.pool.Exec(ctx, bumpBoards); err != nil {
			b.Fatal(err)
		}
	}
	// Three rounds, the stores alternating, on one copy of the ledger.
	for range 3 {
		for _, l := range []struct {
			name string
			l    store.Ledger
			drop func()
		}{{"bbolt", st, nil}, {"postgres", ps, nil}, {"postgres-changed", ps, changed}, {"postgres-cold", ps, func() { ps.boards.drop(); ps.dirs.drop() }}} {
			b.Run("Top10/"+l.name, func(b *testing.B) {
				for b.Loop() {
					if l.drop != nil {
						l.drop()
					}
					if err := l.l.Read(ctx, func(r store.Reader) error {
						if len(r.Top(month, 10, "")) != 10 {
							return fmt.Errorf("no leaderboard")
						}
						return nil
					}); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("RankOf/"+l.name, func(b *testing.B) {
				for b.Loop() {
					if l.drop != nil {
						l.drop()
					}
					if err := l.l.Read(ctx, func(r store.Reader) error {
						if !r.RankOf("e00042", month).Ranked() {
							return fmt.Errorf("not ranked")
						}
						return nil
					}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		b.Run("EmptyRead/postgres", func(b *testing.B) {
			for b.Loop() {
				if err := ps.Read(ctx, func(store.Reader) error { return nil }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// The year report (report.Analyze and its three renderings) over
// 2,000,000 entries and 10,000 members, on bbolt and on PostgreSQL
// through Read; the floors are the entries read with an empty callback;
// bare is the rows ScanEntries reads, fetched as it fetches them and not
// decoded; bare-sorted the same with the index not used (the server sorts
// the ledger), and bare-unsorted the same rows in the table's order.
func BenchmarkReportYear2M(b *testing.B) {
	st, ps := benchLedger(b, 10_000, 2_000_000)
	cfg := benchConfig(b)
	year := jifen.PeriodOf(jifen.Year, time.Date(2026, 6, 1, 0, 0, 0, 0, shanghai), shanghai)
	zh := func(key string, args ...any) string { return locale.T("zh", key, args...) }
	for range 3 {
		for _, l := range []struct {
			name string
			l    store.Ledger
		}{{"bbolt", st}, {"postgres", ps}} {
			b.Run("report/"+l.name, func(b *testing.B) {
				for b.Loop() {
					if err := l.l.Read(context.Background(), func(r store.Reader) error {
						s, err := report.Analyze(r, year, report.Options{Location: shanghai, Catalog: cfg.Rules, T: zh})
						if err != nil {
							return err
						}
						var buf bytes.Buffer
						for _, render := range []func() error{
							func() error { return report.Markdown(&buf, s, zh) },
							func() error { return report.HTML(&buf, s, zh, "zh-CN") },
							func() error { return report.XLSX(&buf, s, zh) },
						} {
							if err := render(); err != nil {
								return err
							}
						}
						return nil
					}); err != nil {
						b.Fatal(err)
					}
				}
			})
			if l.name == "postgres" {
				for _, bare := range []struct{ name, set, query string }{
					{"bare", "", scanQuery},
					{"bare-sorted", "SET LOCAL enable_indexscan = off; SET LOCAL enable_indexonlyscan = off; SET LOCAL enable_bitmapscan = off", scanQuery},
					{"bare-unsorted", "", strings.Replace(scanQuery, `ORDER BY receiver COLLATE "C", id`, "", 1)},
				} {
					b.Run(bare.name+"/postgres", func(b *testing.B) {
						for b.Loop() {
							if n := bareScan(b, ps, bare.set, bare.query); n != 2_000_000 {
								b.Fatal(n)
							}
						}
					})
				}
			}
			b.Run("floor/"+l.name, func(b *testing.B) {
				for b.Loop() {
					n := 0
					if err := l.l.Read(context.Background(), func(r store.Reader) error {
						return r.ScanEntries(func(*jifen.Entry) error { n++; return nil })
					}); err != nil || n == 0 {
						b.Fatal(n, err)
					}
				}
			})
		}
	}
}

// bareScan reads the rows of query through a cursor in a transaction such
// as Read's, a chunk at a time as ScanEntries does, into nothing, after
// the settings set; it returns how many.
func bareScan(b *testing.B, ps *Store, set, query string) int {
	n := 0
	ctx := context.Background()
	err := pgx.BeginTxFunc(ctx, ps.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if set != "" {
			if _, err := tx.Exec(ctx, set); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, "DECLARE bare NO SCROLL CURSOR FOR "+query); err != nil {
			return err
		}
		fetch := fmt.Sprintf("FETCH %d FROM bare", sortedChunk)
		for {
			rows, err := tx.Query(ctx, fetch, pgx.QueryResultFormats{pgx.BinaryFormatCode})
			if err != nil {
				return err
			}
			got := 0
			for rows.Next() {
				got++
			}
			if err := rows.Err(); err != nil {
				return err
			}
			if n += got; got < sortedChunk {
				return nil
			}
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	return n
}

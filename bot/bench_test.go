package bot

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"jifen"
	"jifen/store"
	"jifen/store/storetest"
)

// Benchmarks of the durable write path and of the queries people run most.
//
//	go test ./bot -run '^$' -bench . -benchtime 20000x -count 5
//
// BenchmarkAward measures full /award commands (parse, resolve, limits,
// append, idempotency key, fsync before the answer) and, in the same run,
// a bare group-commit loop writing the same keys with no logic at all, so
// the overhead of everything jifen does besides writing is visible as a
// ratio.

func benchMembers(n int) []jifen.Member {
	depts := []string{"销售部", "客服部", "研发部", "生产部", "人力资源部", "财务部", "质量部", "采购部", "市场部", "行政部"}
	out := []jifen.Member{{ID: "hr", Name: "刘敏", Department: "人力资源部", Role: jifen.RoleAdmin}}
	for i := range n {
		out = append(out, jifen.Member{ID: fmt.Sprintf("e%05d", i), Name: fmt.Sprintf("员工%05d", i),
			Department: depts[i%len(depts)], Role: jifen.RoleEmployee})
	}
	return out
}

func benchBot(b *testing.B, path string, members []jifen.Member, clock jifen.Clock) (*Bot, *store.Store) {
	st, err := store.Open(path, store.Options{Location: shanghai, Clock: clock})
	if err != nil {
		b.Fatal(err)
	}
	if err := st.SyncMembers(context.Background(), members); err != nil {
		b.Fatal(err)
	}
	return New(Options{Store: st, Catalog: testCatalog(), CatalogVersion: 1}), st
}

func BenchmarkAward(b *testing.B) {
	members := benchMembers(10_000)
	for _, writers := range []int{1, 64} {
		// jifen+outbox: as serve runs it, the receiver's notice queued in
		// the outbox with the award (no sender drains it here).
		for _, variant := range []string{"jifen", "jifen+outbox"} {
			b.Run(fmt.Sprintf("%s/writers=%d", variant, writers), func(b *testing.B) {
				clock := &fixedClock{t: time.Date(2026, 11, 10, 2, 0, 0, 0, time.UTC)}
				bt, st := benchBot(b, filepath.Join(b.TempDir(), "jifen.db"), members, clock)
				defer st.Close()
				if variant == "jifen+outbox" {
					bt.SetPlatforms("feishu")
				}
				admin, _ := st.Member("hr")
				var n atomic.Int64
				b.ResetTimer()
				parallel(b, writers, func(i int) {
					to := members[spread(int(n.Add(1)))].ID
					resp := bt.Handle(context.Background(), Request{Caller: admin, Text: "/award @" + to + " 5 好评",
						Key: fmt.Sprintf("bench:%d", i), Source: "bench"})
					if resp.Reply.Kind != "award" {
						b.Fatalf("%+v", resp.Reply)
					}
				})
				b.StopTimer()
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "awards/s")
			})
		}
		b.Run(fmt.Sprintf("bare/writers=%d", writers), func(b *testing.B) {
			bare := openBare(b, filepath.Join(b.TempDir(), "bare.db"))
			defer bare.close()
			b.ResetTimer()
			parallel(b, writers, func(i int) { bare.write(i, members[spread(i)].ID) })
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "awards/s")
		})
	}
}

// spread maps the i-th award to a receiver among the 10,000 members so
// that consecutive awards go to members far apart, as awards in a real
// company do: consecutive ids would share pages of the tree and flatter
// every layout.
func spread(i int) int { return 1 + (i*7919)%10_000 }

// parallel runs b.N calls of fn over the given number of goroutines.
func parallel(b *testing.B, writers int, fn func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				fn(i)
			}
		})
	}
	wg.Wait()
}

// bareLoop is the baseline: one committer goroutine, natural group commit,
// the same bbolt options, and per award the same keys an award writes (the
// entry, the receiver index, 14 aggregates read and rewritten, the giver's
// allowance, the idempotency key and its expiry index), with no parsing,
// limits, JSON or anything else.
type bareLoop struct {
	db   *bolt.DB
	reqs chan bareReq
	done chan struct{}
}

type bareReq struct {
	i      int
	member string
	ack    chan struct{}
}

func openBare(b *testing.B, path string) *bareLoop {
	db, err := bolt.Open(path, 0o600, &bolt.Options{NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		b.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, n := range []string{"entries", "agg", "idem", "idemexp"} {
			if _, err := tx.CreateBucket([]byte(n)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	l := &bareLoop{db: db, reqs: make(chan bareReq, 4096), done: make(chan struct{})}
	go l.loop()
	return l
}

func (l *bareLoop) write(i int, member string) {
	ack := make(chan struct{})
	l.reqs <- bareReq{i, member, ack}
	<-ack
}

func (l *bareLoop) close() {
	close(l.reqs)
	<-l.done
	l.db.Close()
}

var benchValue = []byte(strings.Repeat("x", 330)) // the size of an award entry's JSON

func (l *bareLoop) loop() {
	defer close(l.done)
	for r := range l.reqs {
		batch := []bareReq{r}
	fill:
		for len(batch) < 1024 {
			select {
			case r, ok := <-l.reqs:
				if !ok {
					break fill
				}
				batch = append(batch, r)
			default:
				break fill
			}
		}
		_ = l.db.Update(func(tx *bolt.Tx) error {
			agg := tx.Bucket([]byte("agg"))
			for _, r := range batch {
				id, _ := tx.Bucket([]byte("entries")).NextSequence()
				k := binary.BigEndian.AppendUint64(nil, id)
				_ = tx.Bucket([]byte("entries")).Put(k, benchValue)
				_ = agg.Put(append([]byte(r.member+"\x00\x01"), k...), benchValue[:24])
				// The receiver's record for the year and for all time, and
				// the giver's: read and rewritten at the sizes an award's
				// records have.
				for _, rec := range []struct {
					key  string
					size int
				}{{r.member + "\x002026", 150}, {r.member + "\x00all", 40}, {"hr\x002026", 110}, {"hr\x00all", 30}} {
					v := make([]byte, rec.size)
					copy(v, agg.Get([]byte(rec.key)))
					v[0]++
					_ = agg.Put([]byte(rec.key), v)
				}
				ik := fmt.Appendf(nil, "bench:%d", r.i)
				_ = tx.Bucket([]byte("idem")).Put(ik, benchValue[:200])
				_ = tx.Bucket([]byte("idemexp")).Put(append(binary.BigEndian.AppendUint64(nil, uint64(time.Now().UnixMilli())), ik...), nil)
			}
			return nil
		})
		for _, r := range batch {
			close(r.ack)
		}
	}
}

// bigStore returns a store with members members and entries entries spread
// over a year, built once per benchmark process (it takes a while) in the
// directory named by JIFEN_BENCH_DIR, or a temporary one.
var bigStores sync.Map

func bigStore(b *testing.B, members, entries int) string {
	name := fmt.Sprintf("big-%d-%d.db", members, entries)
	if p, ok := bigStores.Load(name); ok {
		return p.(string)
	}
	path := storetest.Cached(b, "jifen-bench-"+name, func(path string) error {
		ms := benchMembers(members)
		clock := &fixedClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
		st, err := store.Open(path, store.Options{Location: shanghai, Clock: clock, NoSync: true})
		if err != nil {
			return err
		}
		defer st.Close()
		if err := st.SyncMembers(context.Background(), ms); err != nil {
			return err
		}
		rng := rand.New(rand.NewPCG(1, 2))
		cats := []struct {
			cat, beh string
			lo, hi   int
		}{{"sales", "big_deal", 20, 100}, {"service", "praise", 5, 20}, {"attendance", "late", -5, -5}, {"collab", "help_peer", 1, 10}}
		span := 330 * 24 * time.Hour
		const chunk = 5000
		// Entries arrive in time order, as in real life.
		next := func(first int) {
			clock.Set(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(span / time.Duration(entries) * time.Duration(first)))
		}
		return storetest.Fill(st, entries, chunk, next, func(tx store.Txn, i int) jifen.Entry {
			c := cats[rng.IntN(len(cats))]
			pts := int64(c.lo + rng.IntN(c.hi-c.lo+1))
			kind := jifen.KindAward
			if pts < 0 {
				kind = jifen.KindDeduct
			}
			return jifen.Entry{Kind: kind, Giver: "hr", Receiver: ms[1+rng.IntN(members)].ID,
				Points: pts, Category: c.cat, Behavior: c.beh, Reason: "bench", RuleVersion: 1,
				At: tx.Now().Add(time.Duration(i%chunk) * time.Second)}
		})
	})
	bigStores.Store(name, path)
	return path
}

// BenchmarkQueries runs /leaderboard and /score against a store of 10,000
// members with 100,000 and 1,000,000 entries: the times must not grow with
// the ledger.
func BenchmarkQueries(b *testing.B) {
	for _, entries := range []int{100_000, 1_000_000} {
		path := bigStore(b, 10_000, entries)
		clock := &fixedClock{t: time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)}
		bt, st := benchBot(b, path, benchMembers(10_000), clock)
		me, _ := st.Member("e00042")
		month := jifen.PeriodOf(jifen.Month, clock.Now(), shanghai)
		st.Top(month, 10, "") // load the month's board once, as a running bot has
		b.Run(fmt.Sprintf("leaderboard-month/entries=%d", entries), func(b *testing.B) {
			for b.Loop() {
				if r := bt.Handle(context.Background(), Request{Caller: me, Text: "/leaderboard"}).Reply; r.Table == nil || len(r.Table.Rows) != 10 {
					b.Fatalf("%+v", r)
				}
			}
		})
		b.Run(fmt.Sprintf("score/entries=%d", entries), func(b *testing.B) {
			for b.Loop() {
				if r := bt.Handle(context.Background(), Request{Caller: me, Text: "/score"}).Reply; r.Kind != "score" {
					b.Fatalf("%+v", r)
				}
			}
		})
		b.Run(fmt.Sprintf("leaderboard-cold/entries=%d", entries), func(b *testing.B) {
			// The first leaderboard of a period reads its aggregates.
			for b.Loop() {
				st.DropBoards()
				st.Top(month, 10, "")
			}
		})
		st.Close()
	}
}

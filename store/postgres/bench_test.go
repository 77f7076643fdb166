package postgres

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"jifen"
	"jifen/rules"
	"jifen/store/pgtest"
)

// 64 concurrent awards (a limit check, then the entry with its
// aggregates, one transaction each) at receivers spread over 10,000
// members, from 200 givers, on one or two Store values (replicas).
func BenchmarkAward64(b *testing.B) {
	for _, replicas := range []int{1, 2} {
		b.Run(fmt.Sprintf("replicas=%d", replicas), func(b *testing.B) {
			url := pgtest.DB(b)
			var stores []*Store
			for range replicas {
				s, err := Open(context.Background(), url, Options{Location: shanghai, MaxConns: int32(64 / replicas)})
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
					giver := fmt.Sprintf("M%d", rand.IntN(200))
					receiver := fmt.Sprintf("E%d", rand.IntN(10000))
					_, _, err := s.write(context.Background(), "", func(tx *Tx) ([]byte, error) {
						month := jifen.PeriodOf(jifen.Month, tx.Now(), shanghai)
						_ = tx.Usage().GiverUse(giver, rules.PoolAward, month)
						_ = tx.Usage().Net(receiver, month)
						_, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Giver: giver, Receiver: receiver, Points: 5,
							Category: "teamwork", Behavior: "help", Reason: "benchmark"})
						return nil, err
					})
					if err != nil {
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

// A month's leaderboard and a member's rank with 10,000 members who all
// have points, read from the database at each call.
func BenchmarkLeaderboard10k(b *testing.B) {
	url := pgtest.DB(b)
	s, err := Open(context.Background(), url, Options{Location: shanghai})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	month := jifen.PeriodOf(jifen.Month, s.Now(), shanghai)
	for _, q := range []string{
		`INSERT INTO members (id, name, department, role)
			SELECT 'E' || i, 'member ' || i, 'dept ' || (i % 40), 'employee' FROM generate_series(1, 10000) i`,
		`INSERT INTO aggregates (period, kind, member, net, plus, minus, count)
			SELECT '` + month.Key + `', 't', 'E' || i, i % 997, i % 997, 0, 1 FROM generate_series(1, 10000) i`,
	} {
		if _, err := s.pool.Exec(context.Background(), q); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("Top10", func(b *testing.B) {
		for b.Loop() {
			if len(s.Top(month, 10, "")) != 10 {
				b.Fatal("no leaderboard")
			}
		}
	})
	b.Run("RankOf", func(b *testing.B) {
		for b.Loop() {
			if !s.RankOf("E5000", month).Ranked() {
				b.Fatal("not ranked")
			}
		}
	})
}

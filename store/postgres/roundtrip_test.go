package postgres

import (
	"context"
	"io"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"jifen"
	"jifen/rules"
	"jifen/store"
)

// tripCounter is a TCP proxy to the test server that counts round trips:
// a client's write after the server last answered starts one.
type tripCounter struct {
	trips atomic.Int64
}

// countedStore opens a store on a fresh database through a tripCounter,
// with one connection (its statements prepared once) and the test clock.
func countedStore(t *testing.T) (*Store, *tripCounter) {
	t.Helper()
	_, dbURL := newStore(t)
	c := &tripCounter{}
	s, err := Open(context.Background(), c.proxy(t, dbURL), Options{Location: shanghai, MaxConns: 1,
		Clock: jifen.ClockFunc(func() time.Time { return testNow })})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, c
}

// proxy starts the counter in front of the server of dbURL and returns
// the URL to reach the database through it.
func (c *tripCounter) proxy(t *testing.T, dbURL string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	target := u.Host
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial("tcp", target)
			if err != nil {
				client.Close()
				continue
			}
			var answered atomic.Bool
			answered.Store(true)
			pipe := func(dst, src net.Conn, fromClient bool) {
				defer dst.Close()
				defer src.Close()
				buf := make([]byte, 64<<10)
				for {
					n, err := src.Read(buf)
					if n > 0 {
						if fromClient && answered.Swap(false) {
							c.trips.Add(1)
						} else if !fromClient {
							answered.Store(true)
						}
						if _, werr := dst.Write(buf[:n]); werr != nil {
							return
						}
					}
					if err != nil {
						if err != io.EOF {
							return
						}
						return
					}
				}
			}
			wg.Go(func() { pipe(server, client, true) })
			wg.Go(func() { pipe(client, server, false) })
		}
	})
	u.Host = ln.Addr().String()
	return u.String()
}

// An award with its limit checks (the giver's allowance, the receiver's
// cap) takes five round trips: BEGIN with the key, each member's lock
// with the figures its limit reads, the entry with its figures, and
// COMMIT. Without a key, BEGIN goes with the first lock: four round
// trips. A leaderboard and a rank read from a kept
// board take two: BEGIN and ROLLBACK.
func TestRoundTripsOfAnAwardAndABoard(t *testing.T) {
	t.Parallel()
	// One connection: its statements are prepared by the first award
	// (another connection would prepare them again, a round trip each).
	s, c := countedStore(t)
	if err := s.PutMembers(context.Background(), []jifen.Member{
		{ID: "G", Name: "g", Role: jifen.RoleManager}, {ID: "R", Name: "r", Role: jifen.RoleEmployee}}); err != nil {
		t.Fatal(err)
	}
	award := func(key string) {
		t.Helper()
		if _, _, err := s.write(context.Background(), key, func(tx *Tx) ([]byte, error) {
			month := jifen.PeriodOf(jifen.Month, tx.Now(), shanghai)
			if tx.Usage().GiverUse("G", rules.PoolAward, month) > 1000 || tx.Usage().Net("R", month) > 1000 {
				return nil, errCap
			}
			_, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Giver: "G", Receiver: "R", Points: 5, Category: "teamwork", Behavior: "help"})
			return []byte("ok"), err
		}); err != nil {
			t.Fatal(err)
		}
	}
	board := func() {
		t.Helper()
		month := jifen.PeriodOf(jifen.Month, testNow, shanghai)
		if err := s.Read(context.Background(), func(r store.Reader) error {
			if len(r.Top(month, 10, "")) != 1 || r.RankOf("R", month).Rank != 1 {
				t.Error("R is not first")
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	// The first time creates the members' rows in heads, and reads the
	// board; the first two prepare the statements (the second those of a
	// member whose row exists).
	award("k1")
	award("k1b")
	board()
	// The first write's purge of old keys takes up, in the background,
	// the tables left to rewrite: its statements are not the award's.
	s.background.Wait()
	before := c.trips.Load()
	award("k2")
	if n := c.trips.Load() - before; n != 5 {
		t.Errorf("an award took %d round trips, want 5", n)
	}
	// Without a caller's key, BEGIN goes with the giver's lock.
	award("")
	before = c.trips.Load()
	award("")
	if n := c.trips.Load() - before; n != 4 {
		t.Errorf("an award without a key took %d round trips, want 4", n)
	}
	board() // read again after the award
	before = c.trips.Load()
	board()
	if n := c.trips.Load() - before; n != 2 {
		t.Errorf("a kept board took %d round trips, want 2", n)
	}
}

// A write that locks several members at once (a recording without limit
// checks locks its receiver and giver) sends their locks in one round
// trip: BEGIN with the key, the locks, the entry with its figures, and
// COMMIT.
func TestRoundTripsOfLockingMembersTogether(t *testing.T) {
	t.Parallel()
	s, c := countedStore(t)
	if err := s.PutMembers(context.Background(), []jifen.Member{
		{ID: "G", Name: "g", Role: jifen.RoleManager}, {ID: "R", Name: "r", Role: jifen.RoleEmployee}}); err != nil {
		t.Fatal(err)
	}
	record := func(key string) {
		t.Helper()
		if _, _, err := s.write(context.Background(), key, func(tx *Tx) ([]byte, error) {
			_, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Giver: "G", Receiver: "R", Points: 5, Category: "teamwork", Behavior: "help"})
			return []byte("ok"), err
		}); err != nil {
			t.Fatal(err)
		}
	}
	// The first one prepares the statements and creates the members'
	// rows in heads.
	record("k1")
	s.background.Wait()
	before := c.trips.Load()
	record("k2")
	if n := c.trips.Load() - before; n != 4 {
		t.Errorf("a recording took %d round trips, want 4", n)
	}
	// Both members' figures are as two awards left them.
	month := jifen.PeriodOf(jifen.Month, testNow, shanghai)
	if err := s.Read(context.Background(), func(r store.Reader) error {
		if got := r.Totals("R", month).Net; got != 10 {
			t.Errorf("R has %d points, want 10", got)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"jifen"
	"jifen/rules"
	"jifen/store/pgtest"
)

var errCap = errors.New("cap reached")

// race runs n writes at once, spread over the stores (replicas), and
// counts those that won and those fn refused with errCap.
func race(t *testing.T, stores []*Store, n int, fn func(i int) WriteFunc) (won, refused int) {
	t.Helper()
	var w, r atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		s := stores[i%len(stores)]
		wg.Go(func() {
			<-start
			_, _, err := s.write(context.Background(), fmt.Sprintf("race:%d", i), fn(i))
			switch {
			case err == nil:
				w.Add(1)
			case errors.Is(err, errCap):
				r.Add(1)
			default:
				t.Errorf("write %d: %v", i, err)
			}
		})
	}
	close(start)
	wg.Wait()
	// Whatever raced, the figures are what the entries give.
	if rep, err := stores[0].Verify(); err != nil || !rep.OK() {
		t.Errorf("verify after the race: %v %v", rep.Problems, err)
	}
	return int(w.Load()), int(r.Load())
}

// Two replicas, 64 racing awards to one receiver whose monthly cap allows
// 10 of them: exactly 10 win, and the month holds the cap, not more.
func TestRacingAwardsNeverExceedAReceiversCap(t *testing.T) {
	t.Parallel()
	for _, replicas := range []int{1, 2} {
		t.Run(fmt.Sprintf("%d replicas", replicas), func(t *testing.T) {
			url := pgtest.DB(t)
			var stores []*Store
			for range replicas {
				stores = append(stores, openAt(t, url))
			}
			month := jifen.PeriodOf(jifen.Month, testNow, shanghai)
			const limit, points = 100, 10
			won, refused := race(t, stores, 64, func(i int) WriteFunc {
				return func(tx *Tx) ([]byte, error) {
					if tx.Usage().Net("E1", month)+points > limit {
						return nil, errCap
					}
					_, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Giver: fmt.Sprintf("M%d", i),
						Receiver: "E1", Points: points, Behavior: "help", Category: "teamwork"})
					return nil, err
				}
			})
			if won != limit/points || refused != 64-won {
				t.Errorf("%d won, %d refused; want %d and %d", won, refused, limit/points, 64-limit/points)
			}
			if got := stores[0].Totals("E1", month).Net; got != limit {
				t.Errorf("the month holds %d points, cap %d", got, limit)
			}
			if n := sqlValue[int64](t, url, "SELECT count(*) FROM entries"); n != int64(won) {
				t.Errorf("%d entries for %d winners", n, won)
			}
		})
	}
}

// One giver's allowance, racing awards to 64 different receivers on two
// replicas: the giver's figure does not exist when they start (a phantom
// for each of them), and still only the allowance is given.
func TestRacingAwardsNeverExceedAGiversAllowance(t *testing.T) {
	t.Parallel()
	url := pgtest.DB(t)
	stores := []*Store{openAt(t, url), openAt(t, url)}
	month := jifen.PeriodOf(jifen.Month, testNow, shanghai)
	const allowance, points = 50, 10
	won, _ := race(t, stores, 64, func(i int) WriteFunc {
		return func(tx *Tx) ([]byte, error) {
			if tx.Usage().GiverUse("M1", rules.PoolThanks, month)+points > allowance {
				return nil, errCap
			}
			_, err := tx.Append(&jifen.Entry{Kind: jifen.KindThanks, Giver: "M1", Receiver: fmt.Sprintf("E%d", i), Points: points})
			return nil, err
		}
	})
	if won != allowance/points {
		t.Errorf("%d thanks won, want %d", won, allowance/points)
	}
	if got := stores[1].GiverUsed("M1", "thanks", month); got != allowance {
		t.Errorf("the giver gave %d, allowance %d", got, allowance)
	}
}

// A per-behavior limit (at most 3 times a week) with racing awards of two
// replicas.
func TestRacingAwardsNeverExceedABehaviorLimit(t *testing.T) {
	t.Parallel()
	url := pgtest.DB(t)
	stores := []*Store{openAt(t, url), openAt(t, url)}
	week := jifen.PeriodOf(jifen.Week, testNow, shanghai)
	won, _ := race(t, stores, 32, func(i int) WriteFunc {
		return func(tx *Tx) ([]byte, error) {
			if times, _ := tx.Usage().BehaviorUse("E1", "早到", week); times >= 3 {
				return nil, errCap
			}
			_, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Giver: fmt.Sprintf("M%d", i), Receiver: "E1", Points: 1, Behavior: "早到"})
			return nil, err
		}
	})
	if won != 3 {
		t.Errorf("%d awards won, limit 3", won)
	}
}

// 40 racing redemptions of an item with 2 in stock, on two replicas: the
// application's check lets 2 through; and without it the database itself
// refuses a third.
func TestRacingRedemptionsNeverExceedTheStock(t *testing.T) {
	t.Parallel()
	url := pgtest.DB(t)
	stores := []*Store{openAt(t, url), openAt(t, url)}
	if _, _, err := stores[0].write(context.Background(), "", func(tx *Tx) ([]byte, error) {
		return nil, tx.SetStockLimit("mug", 2)
	}); err != nil {
		t.Fatal(err)
	}
	redeem := func(i int) *jifen.Entry {
		return &jifen.Entry{Kind: jifen.KindRedeem, Receiver: fmt.Sprintf("E%d", i), Points: -30, Behavior: "reward:mug", Quantity: 1}
	}
	won, _ := race(t, stores, 40, func(i int) WriteFunc {
		return func(tx *Tx) ([]byte, error) {
			if tx.StockUsed("mug") >= 2 {
				return nil, errCap
			}
			_, err := tx.Append(redeem(i))
			return nil, err
		}
	})
	if won != 2 || stores[1].StockUsed("mug") != 2 {
		t.Fatalf("%d redemptions won, stock used %d; want 2 of 2", won, stores[1].StockUsed("mug"))
	}
	_, _, err := stores[1].write(context.Background(), "", func(tx *Tx) ([]byte, error) {
		_, err := tx.Append(redeem(99))
		return nil, err
	})
	if !errors.Is(err, ErrOutOfStock) {
		t.Fatalf("a third unit without the check: %v, want ErrOutOfStock", err)
	}
	// A limit below what is handed out is refused too.
	_, _, err = stores[0].write(context.Background(), "", func(tx *Tx) ([]byte, error) {
		return nil, tx.SetStockLimit("mug", 1)
	})
	if err == nil {
		t.Fatal("a stock of 1 was accepted with 2 handed out")
	}
}

// Sixteen claims of one scheduled fire, on two replicas: one wins.
func TestRacingClaimsOfARunHaveOneWinner(t *testing.T) {
	t.Parallel()
	url := pgtest.DB(t)
	stores := []*Store{openAt(t, url), openAt(t, url)}
	var wins atomic.Int64
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			ok, err := stores[i%2].ClaimRun(context.Background(), "digest", testNow)
			if err != nil {
				t.Error(err)
			}
			if ok {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d claims won, want 1", wins.Load())
	}
}

// The connection is lost after the server committed but before the client
// heard so: Write finds the key on another connection and returns the
// write's own result, applied once.
func TestCommitLostAfterTheServerCommittedIsResolvedByTheKey(t *testing.T) {
	t.Parallel()
	s, url := newStore(t)
	for _, key := range []string{"slack:T9", ""} {
		lose := true
		s.commit = func(ctx context.Context, tx pgx.Tx) error {
			err := tx.Commit(ctx)
			if err == nil && lose {
				lose = false
				_ = tx.Conn().Close(ctx)
				return errors.New("read tcp 127.0.0.1:41234->127.0.0.1:5432: read: connection reset by peer")
			}
			return err
		}
		runs := 0
		before := sqlValue[int64](t, url, "SELECT count(*) FROM entries")
		res, replayed, err := s.write(context.Background(), key, func(tx *Tx) ([]byte, error) {
			runs++
			_, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Receiver: "E1", Points: 3})
			return []byte("done"), err
		})
		if err != nil || replayed || string(res) != "done" {
			t.Fatalf("key %q: %q %v %v; want the write's own result", key, res, replayed, err)
		}
		if after := sqlValue[int64](t, url, "SELECT count(*) FROM entries"); runs != 1 || after != before+1 {
			t.Fatalf("key %q: fn ran %d times, %d entries written; want once", key, runs, after-before)
		}
	}
}

// The connection is lost before COMMIT was sent: nothing was committed,
// and the write runs again.
func TestConnectionLostBeforeCommitIsRetried(t *testing.T) {
	t.Parallel()
	s, url := newStore(t)
	lose := true
	s.commit = func(ctx context.Context, tx pgx.Tx) error {
		if lose {
			lose = false
			_ = tx.Conn().Close(ctx)
		}
		return tx.Commit(ctx)
	}
	runs := 0
	_, replayed, err := s.write(context.Background(), "k", func(tx *Tx) ([]byte, error) {
		runs++
		_, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Receiver: "E1", Points: 3})
		return nil, err
	})
	if err != nil || replayed || runs != 2 {
		t.Fatalf("write: %v, replayed %v, ran %d times; want a retry", err, replayed, runs)
	}
	if n := sqlValue[int64](t, url, "SELECT count(*) FROM entries"); n != 1 {
		t.Fatalf("%d entries, want 1", n)
	}
}

// The server ends the session (pg_terminate_backend) just as COMMIT is
// sent: the outcome is unknown, the key is not found, the write runs
// again and is applied once.
func TestBackendTerminatedAtCommitIsResolvedByTheKey(t *testing.T) {
	t.Parallel()
	s, url := newStore(t)
	admin, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	kill := true
	s.commit = func(ctx context.Context, tx pgx.Tx) error {
		if kill {
			kill = false
			var ok bool
			// The second argument waits until the backend is gone.
			if err := admin.QueryRow(ctx, "SELECT pg_terminate_backend($1, 10000)", tx.Conn().PgConn().PID()).Scan(&ok); err != nil || !ok {
				t.Errorf("terminate: %v %v", ok, err)
			}
		}
		return tx.Commit(ctx)
	}
	runs := 0
	res, replayed, err := s.write(context.Background(), "feishu:ev1", func(tx *Tx) ([]byte, error) {
		runs++
		_, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Receiver: "E1", Points: 3})
		return []byte("ok"), err
	})
	if err != nil || replayed || string(res) != "ok" || runs != 2 {
		t.Fatalf("write: %q %v %v, ran %d times; want a second run", res, replayed, err, runs)
	}
	if n := sqlValue[int64](t, url, "SELECT count(*) FROM entries"); n != 1 {
		t.Fatalf("%d entries, want 1", n)
	}
}

// Eight racing revokes of one award on two replicas: one reverses it, the
// others are told it is reversed already.
func TestRacingRevokesReverseOnce(t *testing.T) {
	t.Parallel()
	url := pgtest.DB(t)
	stores := []*Store{openAt(t, url), openAt(t, url)}
	var award uint64
	if _, _, err := stores[0].write(context.Background(), "", func(tx *Tx) ([]byte, error) {
		var err error
		award, err = tx.Append(&jifen.Entry{Kind: jifen.KindAward, Giver: "M1", Receiver: "E1", Points: 10})
		return nil, err
	}); err != nil {
		t.Fatal(err)
	}
	won, refused := race(t, stores, 8, func(i int) WriteFunc {
		return func(tx *Tx) ([]byte, error) {
			if tx.ReversedBy(award) != 0 {
				return nil, errCap
			}
			_, err := tx.Append(&jifen.Entry{Kind: jifen.KindRevoke, Giver: "A1", Reverses: award, Receiver: "E1"})
			if err != nil && strings.Contains(err.Error(), "cannot be reversed again") {
				return nil, errCap
			}
			return nil, err
		}
	})
	if won != 1 || refused != 7 {
		t.Fatalf("%d revokes won, %d refused; want 1 and 7", won, refused)
	}
	if got := stores[1].Balance("E1"); got != 0 {
		t.Fatalf("balance %d after the revoke", got)
	}
}

// Two writes lock two members in opposite orders: the database finds the
// deadlock and aborts one, which Write runs again; both are applied.
func TestDeadlockIsRetried(t *testing.T) {
	t.Parallel()
	url := pgtest.DB(t)
	stores := []*Store{openAt(t, url), openAt(t, url)}
	month := jifen.PeriodOf(jifen.Month, testNow, shanghai)
	var first sync.WaitGroup // both hold their first lock
	first.Add(2)
	var once [2]sync.Once
	var runs [2]atomic.Int64
	var wg sync.WaitGroup
	for i, pair := range [][2]string{{"A", "B"}, {"B", "A"}} {
		wg.Go(func() {
			_, _, err := stores[i].write(context.Background(), "", func(tx *Tx) ([]byte, error) {
				runs[i].Add(1)
				_ = tx.Net(pair[0], month)
				once[i].Do(func() {
					first.Done()
					first.Wait()
				})
				_, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Giver: pair[0], Receiver: pair[1], Points: 1})
				return nil, err
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := sqlValue[int64](t, url, "SELECT count(*) FROM entries"); n != 2 {
		t.Fatalf("%d entries, want 2", n)
	}
	if runs[0].Load()+runs[1].Load() != 3 || stores[0].Retries()+stores[1].Retries() != 1 {
		t.Fatalf("runs %d and %d, retries %d: want one write run again", runs[0].Load(), runs[1].Load(), stores[0].Retries()+stores[1].Retries())
	}
}

// A write's own key, inserted with the result in the round trip of
// COMMIT, found recorded (an earlier attempt of the same write committed
// meanwhile): the attempt is rolled back and the recorded result returned.
func TestOwnKeyFoundAtCommitReplaysItsResult(t *testing.T) {
	t.Parallel()
	s, url := newStore(t)
	ctx := context.Background()
	const key = "write:0123456789abcdef"
	res, replayed, err := s.attempt(ctx, key, false, func(tx *Tx) ([]byte, error) {
		// An earlier attempt, on another connection, commits the key.
		if _, err := s.pool.Exec(ctx, "INSERT INTO idempotency (key, at, expires, result) VALUES ($1, $2, $3, 'first')",
			key, testNow, testNow.Add(time.Hour)); err != nil {
			return nil, err
		}
		_, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Receiver: "E1", Points: 3})
		return []byte("second"), err
	})
	if err != nil || !replayed || string(res) != "first" {
		t.Fatalf("attempt: %q %v %v; want the recorded result, replayed", res, replayed, err)
	}
	if n := sqlValue[int64](t, url, "SELECT count(*) FROM entries"); n != 0 {
		t.Fatalf("%d entries written, want none", n)
	}
	// The connection went back to the pool idle, and works.
	if _, _, err := s.write(ctx, "", func(tx *Tx) ([]byte, error) {
		_, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Receiver: "E1", Points: 3})
		return nil, err
	}); err != nil {
		t.Fatal(err)
	}
}

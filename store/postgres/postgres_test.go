package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"jifen"
	"jifen/store/pgtest"
)

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

// testNow is the time of every test store's clock.
var testNow = time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)

func openAt(t *testing.T, url string) *Store {
	t.Helper()
	s, err := Open(context.Background(), url, Options{Location: shanghai,
		Clock: jifen.ClockFunc(func() time.Time { return testNow })})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// newStore opens a store on a fresh database.
func newStore(t *testing.T) (*Store, string) {
	t.Helper()
	url := pgtest.DB(t)
	return openAt(t, url), url
}

// sql runs a statement on a connection of its own and returns the first
// column of its first row, if any.
func sqlValue[T any](t *testing.T, url, q string, args ...any) T {
	t.Helper()
	c, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	var v T
	if err := c.QueryRow(context.Background(), q, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return v
}

func TestConcurrentOpensMigrateOnce(t *testing.T) {
	t.Parallel()
	url := pgtest.DB(t)
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	stores := make([]*Store, 3)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i := range stores {
		wg.Go(func() {
			stores[i], errs[i] = Open(context.Background(), url, Options{Location: shanghai})
		})
	}
	wg.Wait()
	applied := 0
	for i, s := range stores {
		if errs[i] != nil {
			t.Fatalf("open %d: %v", i, errs[i])
		}
		defer s.Close()
		applied += s.applied
	}
	if applied != len(ms) {
		t.Errorf("three opens applied %d migrations, want %d (each once)", applied, len(ms))
	}
	if n := sqlValue[int64](t, url, "SELECT count(*) FROM schema_version"); n != int64(len(ms)) {
		t.Errorf("schema_version has %d rows, want %d", n, len(ms))
	}
	// All three work, and see each other's writes.
	for i, s := range stores {
		m := jifen.Member{ID: fmt.Sprintf("E%d", i), Name: fmt.Sprintf("员工%d", i), Role: jifen.RoleEmployee}
		if err := s.PutMembers(context.Background(), []jifen.Member{m}); err != nil {
			t.Fatalf("store %d: %v", i, err)
		}
	}
	for i, s := range stores {
		if n := len(s.Members()); n != 3 {
			t.Errorf("store %d sees %d members, want 3", i, n)
		}
	}
	// A later open finds nothing to do.
	if s := openAt(t, url); s.applied != 0 {
		t.Errorf("a reopen applied %d migrations", s.applied)
	}
}

func TestNewerSchemaIsRefused(t *testing.T) {
	t.Parallel()
	s, url := newStore(t)
	s.Close()
	sqlValue[int32](t, url, "INSERT INTO schema_version (version, name) VALUES (999, '0999_future.sql') RETURNING version")
	_, err := Open(context.Background(), url, Options{Location: shanghai})
	if err == nil || !strings.Contains(err.Error(), "newer") || !strings.Contains(err.Error(), "999") {
		t.Fatalf("open of a newer schema: %v, want a refusal naming the version", err)
	}
}

func TestAnotherTimeZoneIsRefused(t *testing.T) {
	t.Parallel()
	s, url := newStore(t)
	s.Close()
	_, err := Open(context.Background(), url, Options{Location: time.UTC})
	if err == nil || !strings.Contains(err.Error(), "Asia/Shanghai") {
		t.Fatalf("open in another zone: %v, want a refusal", err)
	}
}

func TestBadURLHidesThePassword(t *testing.T) {
	t.Parallel()
	_, err := Open(context.Background(), "postgres://u:s3cret@host:notaport/db", Options{})
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("bad URL: %v", err)
	}
}

func TestWriteIsIdempotent(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	runs := 0
	award := func(tx *Tx) ([]byte, error) {
		runs++
		id, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Giver: "M1", Receiver: "E1", Points: 5})
		return fmt.Appendf(nil, "E%d", id), err
	}
	res, replayed, err := s.write(ctx, "slack:T1", award)
	if err != nil || replayed || string(res) != "E1" {
		t.Fatalf("first write: %q %v %v", res, replayed, err)
	}
	res, replayed, err = s.write(ctx, "slack:T1", award)
	if err != nil || !replayed || string(res) != "E1" || runs != 1 {
		t.Fatalf("replay: %q %v %v, fn ran %d times", res, replayed, err, runs)
	}
	if got := s.Totals("E1", jifen.PeriodOf(jifen.Month, testNow, shanghai)).Net; got != 5 {
		t.Fatalf("after a replay the month holds %d, want 5", got)
	}
	if res, ok := s.Seen("slack:T1"); !ok || string(res) != "E1" {
		t.Fatalf("Seen: %q %v", res, ok)
	}
	// A failed write records nothing, not even its key.
	refused := errors.New("refused")
	_, _, err = s.write(ctx, "slack:T2", func(tx *Tx) ([]byte, error) {
		if _, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Giver: "M1", Receiver: "E1", Points: 7}); err != nil {
			return nil, err
		}
		return nil, refused
	})
	if !errors.Is(err, refused) {
		t.Fatalf("failed write: %v", err)
	}
	if _, ok := s.Seen("slack:T2"); ok {
		t.Fatal("a failed write recorded its key")
	}
	if got := s.Balance("E1"); got != 5 {
		t.Fatalf("a failed write changed the balance to %d", got)
	}
	if _, _, err := s.write(ctx, "slack:T2", award); err != nil {
		t.Fatal(err)
	}
	if got := s.Balance("E1"); got != 10 {
		t.Fatalf("balance %d, want 10", got)
	}
}

func TestWriteAfterCloseFails(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	s.Close()
	if _, _, err := s.write(context.Background(), "", func(*Tx) ([]byte, error) { return nil, nil }); !errors.Is(err, ErrClosed) {
		t.Fatalf("write after close: %v", err)
	}
}

func TestPanicInWriteRollsBack(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	_, _, err := s.write(context.Background(), "k", func(tx *Tx) ([]byte, error) {
		if _, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Receiver: "E1", Points: 5}); err != nil {
			return nil, err
		}
		panic("boom")
	})
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("panicking write: %v", err)
	}
	if s.Balance("E1") != 0 {
		t.Fatal("a panicking write left its entry")
	}
}

func sqlConn(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func itoa(v uint64) string { return fmt.Sprint(v) }

package postgres

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"jifen"
	"jifen/store"
	"jifen/store/pgtest"
)

// readBoard reads a month's top 10, a member's rank and a department's
// headcount through Read, as the bot does.
func readBoard(t *testing.T, s *Store, member, dept string) (top []store.Standing, rank store.Rank, heads int) {
	t.Helper()
	month := jifen.PeriodOf(jifen.Month, testNow, shanghai)
	if err := s.Read(context.Background(), func(r store.Reader) error {
		top, rank, heads = r.Top(month, 10, ""), r.RankOf(member, month), r.Headcount(month, dept)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return top, rank, heads
}

func award(t *testing.T, s *Store, to string, pts int64) {
	t.Helper()
	if _, _, err := s.write(context.Background(), "", func(tx *Tx) ([]byte, error) {
		_, err := tx.Append(&jifen.Entry{Kind: jifen.KindAward, Giver: "M1", Receiver: to, Points: pts, Category: "teamwork"})
		return nil, err
	}); err != nil {
		t.Fatal(err)
	}
}

// Each replica keeps the boards it read; a write on either replica is seen
// by the next board read on both: an award committed on A by B's next top
// 10, a member's own rank right after their award, a member's move to
// another department by the next headcount.
func TestKeptBoardsFollowEveryReplicasWrites(t *testing.T) {
	t.Parallel()
	a, url := newStore(t)
	b := openAt(t, url)
	ctx := context.Background()
	if err := a.PutMembers(ctx, []jifen.Member{
		{ID: "E1", Name: "a", Department: "研发", Role: jifen.RoleEmployee},
		{ID: "E2", Name: "b", Department: "研发", Role: jifen.RoleEmployee},
		{ID: "E3", Name: "c", Department: "销售", Role: jifen.RoleEmployee},
	}); err != nil {
		t.Fatal(err)
	}
	award(t, a, "E1", 10)
	award(t, a, "E2", 5)
	for _, s := range []*Store{a, b} {
		top, rank, heads := readBoard(t, s, "E3", "研发")
		if len(top) != 2 || top[0].Member.ID != "E1" || rank != (store.Rank{Rank: 3, Of: 3, DeptRank: 1, DeptOf: 1, RoleRank: 3, RoleOf: 3}) || heads != 2 {
			t.Fatalf("before: top %+v, E3 %+v, headcount %d", top, rank, heads)
		}
	}
	// Both replicas keep the board now; an award on A reaches B's next read.
	award(t, a, "E3", 20)
	top, rank, _ := readBoard(t, b, "E3", "研发")
	if len(top) != 3 || top[0].Member.ID != "E3" || top[0].Points != 20 || rank.Rank != 1 || rank.Points != 20 {
		t.Fatalf("B after A's award: top %+v, E3 %+v", top, rank)
	}
	// A member's /score on the replica that took their award.
	award(t, b, "E2", 10)
	if _, rank, _ := readBoard(t, b, "E2", "研发"); rank.Rank != 2 || rank.Points != 15 || rank.DeptRank != 1 {
		t.Fatalf("E2 right after the award: %+v", rank)
	}
	if _, rank, _ := readBoard(t, a, "E2", "研发"); rank.Rank != 2 || rank.Points != 15 {
		t.Fatalf("E2 on the other replica: %+v", rank)
	}
	// Ties share a rank, on the kept board too.
	award(t, a, "E1", 5)
	if top, _, _ := readBoard(t, b, "E1", ""); top[1].Rank != 2 || top[2].Rank != 2 {
		t.Fatalf("a tie: %+v", top)
	}
	// A member moves to another department on B; A's next headcount knows.
	if err := b.PutMembers(ctx, []jifen.Member{{ID: "E3", Name: "c", Department: "研发", Role: jifen.RoleEmployee}}); err != nil {
		t.Fatal(err)
	}
	if _, rank, heads := readBoard(t, a, "E3", "研发"); heads != 3 || rank.DeptOf != 3 || rank.DeptRank != 1 {
		t.Fatalf("after the move: E3 %+v, headcount %d", rank, heads)
	}
	// A member leaves (their left date before the month): off the board.
	left := testNow.AddDate(0, -2, 0)
	if err := a.PutMembers(ctx, []jifen.Member{{ID: "E3", Name: "c", Department: "研发", Role: jifen.RoleEmployee, Left: left}}); err != nil {
		t.Fatal(err)
	}
	if top, rank, heads := readBoard(t, b, "E3", "研发"); rank.Ranked() || heads != 2 || top[0].Member.ID == "E3" {
		t.Fatalf("after leaving: top %+v, E3 %+v, headcount %d", top, rank, heads)
	}
}

// A board read twice with no write between is served from the replica's
// memory the second time.
func TestABoardIsKeptWhileNothingIsWritten(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	if err := s.PutMembers(context.Background(), []jifen.Member{{ID: "E1", Name: "a", Role: jifen.RoleEmployee}}); err != nil {
		t.Fatal(err)
	}
	award(t, s, "E1", 3)
	readBoard(t, s, "E1", "")
	month := jifen.PeriodOf(jifen.Month, testNow, shanghai)
	s.boards.mu.Lock()
	kept := s.boards.boards[month.Key]
	s.boards.mu.Unlock()
	readBoard(t, s, "E1", "")
	s.boards.mu.Lock()
	again := s.boards.boards[month.Key]
	s.boards.mu.Unlock()
	if kept == nil || again != kept {
		t.Fatalf("the board was read again: %p then %p", kept, again)
	}
	// Something written that boards do not count (a run claim) keeps it.
	if _, err := s.ClaimRun(context.Background(), "digest", testNow); err != nil {
		t.Fatal(err)
	}
	readBoard(t, s, "E1", "")
	s.boards.mu.Lock()
	again = s.boards.boards[month.Key]
	s.boards.mu.Unlock()
	if again != kept {
		t.Fatal("a run claim dropped the board")
	}
}

// A write whose commit was confirmed by looking its key up (the
// connection was lost with the answer to COMMIT, and with the move of the
// boards' counter sent after it) moves the counter itself: the other
// replica's kept board shows the award.
func TestACommitConfirmedByItsKeyMovesTheBoards(t *testing.T) {
	t.Parallel()
	a, url := newStore(t)
	b := openAt(t, url)
	if err := a.PutMembers(context.Background(), []jifen.Member{{ID: "E1", Name: "a", Role: jifen.RoleEmployee},
		{ID: "E2", Name: "b", Role: jifen.RoleEmployee}}); err != nil {
		t.Fatal(err)
	}
	award(t, a, "E1", 10)
	if top, _, _ := readBoard(t, b, "E2", ""); len(top) != 1 {
		t.Fatalf("top %+v", top)
	}
	a.commit = func(ctx context.Context, tx pgx.Tx) error {
		tx.(*connTx).after = "" // lost with the connection
		if err := tx.Commit(ctx); err != nil {
			return err
		}
		_ = tx.Conn().Close(ctx)
		return errors.New("read tcp 127.0.0.1:41234->127.0.0.1:5432: read: connection reset by peer")
	}
	award(t, a, "E2", 20)
	if top, rank, _ := readBoard(t, b, "E2", ""); len(top) != 2 || rank.Rank != 1 || rank.Points != 20 {
		t.Fatalf("after the award: top %+v, E2 %+v", top, rank)
	}
}

// A counter's move that was lost (the server stopped between a COMMIT and
// the move sent after it) leaves a stale board for a minute at most, not
// until the next write.
func TestAKeptBoardWithALostCounterMoveIsReadAgain(t *testing.T) {
	t.Parallel()
	url := pgtest.DB(t)
	var mu sync.Mutex
	now := testNow
	s, err := Open(context.Background(), url, Options{Location: shanghai, Clock: jifen.ClockFunc(func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	})})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if err := s.PutMembers(ctx, []jifen.Member{
		{ID: "E1", Name: "a", Department: "研发", Role: jifen.RoleEmployee},
		{ID: "E2", Name: "b", Department: "研发", Role: jifen.RoleEmployee},
	}); err != nil {
		t.Fatal(err)
	}
	award(t, s, "E1", 10)
	if top, _, _ := readBoard(t, s, "E2", ""); len(top) != 1 {
		t.Fatalf("before: %+v", top)
	}
	before := sqlValue[int64](t, url, "SELECT last_value FROM board_changes")
	award(t, s, "E2", 20)
	// The move is lost: the counter is where the kept board was read.
	if _, err := s.pool.Exec(ctx, "SELECT setval('board_changes', $1)", before); err != nil {
		t.Fatal(err)
	}
	if top, _, _ := readBoard(t, s, "E2", ""); len(top) != 1 {
		t.Logf("the stale board was not served at once (%+v): the bound is only an upper one", top)
	}
	mu.Lock()
	now = now.Add(maxBoardAge)
	mu.Unlock()
	top, rank, _ := readBoard(t, s, "E2", "")
	if len(top) != 2 || top[0].Member.ID != "E2" || rank.Rank != 1 || rank.Points != 20 {
		t.Fatalf("a minute after the lost move: top %+v, E2 %+v", top, rank)
	}
}

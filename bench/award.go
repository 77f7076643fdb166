package bench

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"jifen"
	"jifen/bot"
	"jifen/store"
)

// An Awarder records awards durably: Award returns once the i-th award (5
// points for 客户好评 to member Receiver(i)) is on disk.
type Awarder interface {
	Award(ctx context.Context, i int) error
	Close() error
}

// awardMembers is the directory of the award workload: as many members as
// the full dataset, in an empty ledger (a fresh store per run).
var awardMembers = Full.MemberList()

// Receiver is the member of the i-th award: consecutive awards go to
// members far apart, as in a real company (bot/bench_test.go's spread).
func Receiver(i int) string { return awardMembers[1+(i*7919)%Full.Members].ID }

// JifenAwards awards through the bot, as a chat command does: parse,
// resolve the receiver, check the limits, append the entry with its
// aggregates and idempotency key, and fsync in the store's group commit
// before the answer.
type JifenAwards struct {
	st    *store.Store
	bot   *bot.Bot
	admin jifen.Member
}

// NewJifenAwards opens a new store in dir.
func NewJifenAwards(dir string) (*JifenAwards, error) {
	st, err := store.Open(filepath.Join(dir, "jifen.db"), store.Options{Location: Shanghai, Clock: fixedClock{AwardTime}})
	if err != nil {
		return nil, err
	}
	if err := st.SyncMembers(context.Background(), awardMembers); err != nil {
		st.Close()
		return nil, err
	}
	cat := Catalog()
	if err := cat.Validate(); err != nil {
		st.Close()
		return nil, err
	}
	admin, _ := st.Member("hr")
	return &JifenAwards{st: st, bot: bot.New(bot.Options{Store: st, Catalog: cat, CatalogVersion: 1}), admin: admin}, nil
}

// Award sends "/award @member 5 好评" with a delivery key, as an adapter does.
func (a *JifenAwards) Award(ctx context.Context, i int) error {
	resp := a.bot.Handle(ctx, bot.Request{Caller: a.admin, Text: "/award @" + Receiver(i) + " 5 好评",
		Key: fmt.Sprintf("bench:%d", i), Source: "bench"})
	if resp.Reply.Kind != "award" {
		return fmt.Errorf("award %d: %+v", i, resp.Reply)
	}
	return nil
}

// Close closes the store.
func (a *JifenAwards) Close() error { return a.st.Close() }

// SQLiteAwards awards in SQLite: one IMMEDIATE transaction per award that
// inserts the entry and adds its points to the member's month, committed
// with WAL and synchronous=FULL (fsynced before Commit returns).
type SQLiteAwards struct {
	db          *sql.DB
	ins, upsert *sql.Stmt
}

// NewSQLiteAwards creates a database in dir, with the schema and indexes of
// the query workloads and the members, and a pool of conns connections.
// SQLite has one writer at a time: with one connection the writers queue
// in database/sql's pool; with more, each waits in SQLite's busy handler
// (busy_timeout) for the lock.
func NewSQLiteAwards(dir string, conns int) (*SQLiteAwards, error) {
	db, err := sql.Open("sqlite", dsn(filepath.Join(dir, "sqlite.db")))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	a := &SQLiteAwards{db: db}
	if err := a.setup(); err != nil {
		db.Close()
		return nil, err
	}
	return a, nil
}

func (a *SQLiteAwards) setup() error {
	ctx := context.Background()
	if _, err := a.db.ExecContext(ctx, schema+indexes); err != nil {
		return err
	}
	tx, err := a.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, m := range awardMembers {
		if _, err := tx.ExecContext(ctx, `INSERT INTO members VALUES (?, ?, ?, ?)`, m.ID, m.Name, m.Department, string(m.Role)); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	if a.ins, err = a.db.PrepareContext(ctx, insertEntry); err != nil {
		return err
	}
	a.upsert, err = a.db.PrepareContext(ctx, upsertMonth)
	return err
}

// Award records the i-th award.
func (a *SQLiteAwards) Award(ctx context.Context, i int) error {
	tx, err := a.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	at := AwardTime.UTC()
	member := Receiver(i)
	if _, err := tx.StmtContext(ctx, a.ins).ExecContext(ctx, jifen.KindAward, at.Unix(), "hr", member, 5,
		"service", "praise", "好评", 1, "bench"); err != nil {
		return err
	}
	if _, err := tx.StmtContext(ctx, a.upsert).ExecContext(ctx, member, monthKey(at), 5); err != nil {
		return err
	}
	return tx.Commit()
}

// Close closes the database.
func (a *SQLiteAwards) Close() error { return a.db.Close() }

// RunAwards makes awards from the given number of writers until n are
// made (n > 0) or until the deadline (n == 0), and returns how many were
// made and how long they took.
func RunAwards(ctx context.Context, a Awarder, writers, n int, deadline time.Time) (int, time.Duration, error) {
	var next, made atomic.Int64
	var failed atomic.Bool
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	start := time.Now()
	for range writers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if failed.Load() || (n > 0 && i >= n) || (n == 0 && time.Now().After(deadline)) {
					return
				}
				if err := a.Award(ctx, i); err != nil {
					once.Do(func() { firstErr = err })
					failed.Store(true)
					return
				}
				made.Add(1)
			}
		})
	}
	wg.Wait()
	return int(made.Load()), time.Since(start), firstErr
}

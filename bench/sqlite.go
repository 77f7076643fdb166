package bench

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"jifen"
)

// The SQLite schema a competent user would write for the ledger: the
// entries with their time (also the effective time: the dataset has no
// back-dated entries) as Unix seconds, two covering indexes (by time, for
// a period's totals, and by member, for one member's), and a member ×
// month aggregate kept in the same transaction as each entry, indexed for
// a month's ranking.
const schema = `
CREATE TABLE IF NOT EXISTS members (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	department TEXT NOT NULL,
	role       TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS entries (
	id           INTEGER PRIMARY KEY,
	kind         TEXT NOT NULL,
	at           INTEGER NOT NULL,
	giver        TEXT NOT NULL,
	member       TEXT NOT NULL,
	points       INTEGER NOT NULL,
	category     TEXT NOT NULL,
	behavior     TEXT NOT NULL,
	reason       TEXT NOT NULL,
	rule_version INTEGER NOT NULL,
	source       TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS month_points (
	member TEXT NOT NULL,
	month  TEXT NOT NULL,
	points INTEGER NOT NULL,
	PRIMARY KEY (member, month)
) WITHOUT ROWID;
`

const indexes = `
CREATE INDEX IF NOT EXISTS entries_at ON entries (at, member, points);
CREATE INDEX IF NOT EXISTS entries_member ON entries (member, at, points);
CREATE INDEX IF NOT EXISTS month_points_rank ON month_points (month, points);
`

const insertEntry = `INSERT INTO entries (kind, at, giver, member, points, category, behavior, reason, rule_version, source)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

const upsertMonth = `INSERT INTO month_points (member, month, points) VALUES (?, ?, ?)
	ON CONFLICT (member, month) DO UPDATE SET points = points + excluded.points`

// dsn is the data source name of path with the pragmas every connection
// runs. Durable: WAL with synchronous=FULL, so a commit is fsynced before
// it returns; a writer waits up to 10 s for the lock rather than failing;
// transactions begin IMMEDIATE, taking the write lock at BEGIN, so two
// writers never both read and then deadlock on the upgrade. For reads: a
// 64 MiB page cache, the file memory-mapped (as bbolt maps jifen's) and
// temporary sort trees in memory.
func dsn(path string) string {
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(FULL)",
		"cache_size(-65536)", "mmap_size(1073741824)", "temp_store(MEMORY)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

// buildSQLite loads the dataset without the durability of the workloads
// (synchronous=OFF, big transactions), creates the indexes afterwards,
// fills the aggregate from the entries and runs ANALYZE so the planner
// knows the data.
func buildSQLite(path string, d Dataset) error {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(OFF)&_pragma=cache_size(-262144)")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, schema); err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, m := range d.MemberList() {
		if _, err := tx.ExecContext(ctx, `INSERT INTO members VALUES (?, ?, ?, ?)`, m.ID, m.Name, m.Department, string(m.Role)); err != nil {
			return err
		}
	}
	ins, err := tx.PrepareContext(ctx, insertEntry)
	if err != nil {
		return err
	}
	err = d.Each(func(e *jifen.Entry) error {
		_, err := ins.ExecContext(ctx, e.Kind, e.At.Unix(), e.Giver, e.Receiver, e.Points, e.Category, e.Behavior, e.Reason, e.RuleVersion, e.Source)
		return err
	})
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO month_points (member, month, points)
		SELECT member, strftime('%Y-%m', at, 'unixepoch', '+8 hours'), SUM(points) FROM entries GROUP BY 1, 2`); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	for _, stmt := range []string{indexes, "ANALYZE", "PRAGMA wal_checkpoint(TRUNCATE)", "PRAGMA journal_mode=DELETE"} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("%s: %w", stmt, err)
		}
	}
	return db.Close()
}

// monthKey is the aggregate's month of a time, as jifen names it.
func monthKey(t time.Time) string { return jifen.PeriodOf(jifen.Month, t, Shanghai).Key }

// SQLite is the SQLite side of the query workloads, over a built dataset.
type SQLite struct {
	db *sql.DB
}

// OpenSQLite opens a built dataset for the queries.
func OpenSQLite(path string) (*SQLite, error) {
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return nil, err
	}
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, err
	}
	return &SQLite{db: db}, nil
}

// Close closes the database.
func (s *SQLite) Close() error { return s.db.Close() }

// Standing is a line of a leaderboard, on either side.
type Standing struct {
	Member string
	Points int64
}

// TopFromEntries is a month's top 10 summed from the entries, through the
// covering index on (at, member, points).
func (s *SQLite) TopFromEntries(ctx context.Context, p jifen.Period) ([]Standing, error) {
	return s.standings(ctx, `SELECT member, SUM(points) FROM entries WHERE at >= ? AND at < ?
		GROUP BY member ORDER BY 2 DESC LIMIT 10`, p.Start.Unix(), p.End.Unix())
}

// TopFromAggregate is a month's top 10 read from the maintained aggregate,
// through the index on (month, points).
func (s *SQLite) TopFromAggregate(ctx context.Context, p jifen.Period) ([]Standing, error) {
	return s.standings(ctx, `SELECT member, points FROM month_points WHERE month = ?
		ORDER BY points DESC LIMIT 10`, p.Key)
}

func (s *SQLite) standings(ctx context.Context, query string, args ...any) ([]Standing, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Standing
	for rows.Next() {
		var st Standing
		if err := rows.Scan(&st.Member, &st.Points); err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, rows.Err()
}

// Score is one member's balance, month total and month rank (competition
// rank: one more than the number of members with more points).
type Score struct {
	Balance, Month int64
	Rank           int
}

// ScoreFromEntries computes a member's score from the entries alone: two
// sums through the member index, and the rank by summing the month of
// every member.
func (s *SQLite) ScoreFromEntries(ctx context.Context, member string, month jifen.Period) (Score, error) {
	var sc Score
	err := s.db.QueryRowContext(ctx, `SELECT
		COALESCE(SUM(points), 0),
		COALESCE(SUM(CASE WHEN at >= ?2 AND at < ?3 THEN points END), 0)
		FROM entries WHERE member = ?1`, member, month.Start.Unix(), month.End.Unix()).Scan(&sc.Balance, &sc.Month)
	if err != nil {
		return sc, err
	}
	err = s.db.QueryRowContext(ctx, `SELECT COUNT(*) + 1 FROM (SELECT member FROM entries WHERE at >= ? AND at < ?
		GROUP BY member HAVING SUM(points) > ?)`, month.Start.Unix(), month.End.Unix(), sc.Month).Scan(&sc.Rank)
	return sc, err
}

// ScoreFromAggregate reads a member's score from the aggregate: the
// member's months summed for the balance, one row for the month, and the
// rank counted through the (month, points) index.
func (s *SQLite) ScoreFromAggregate(ctx context.Context, member string, month jifen.Period) (Score, error) {
	var sc Score
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(points), 0), COALESCE(SUM(CASE WHEN month = ?2 THEN points END), 0)
		FROM month_points WHERE member = ?1`, member, month.Key).Scan(&sc.Balance, &sc.Month)
	if err != nil {
		return sc, err
	}
	err = s.db.QueryRowContext(ctx, `SELECT COUNT(*) + 1 FROM month_points WHERE month = ? AND points > ?`,
		month.Key, sc.Month).Scan(&sc.Rank)
	return sc, err
}

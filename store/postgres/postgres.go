// Package postgres is jifen's ledger on PostgreSQL, for several replicas
// of the bot sharing one ledger. It keeps the data and the guarantees of
// the bbolt store (package store): every write is one transaction that
// checks its limits, writes its entries, updates the aggregates and
// records its idempotency key together.
//
// Transactions run at READ COMMITTED, and every figure a limit is
// checked against is read under a row lock held to the end of the
// transaction (see Tx): a member's row in heads for their points,
// allowance pools, per-behavior use, pending approvals and balance; an
// item's row for its stock; the row of an entry, approval or redemption
// being decided. The writes of those figures take the same locks, so two
// replicas racing for the same cap, allowance or last item in stock run
// one after the other, and the second sees the first's commit. (At
// SERIALIZABLE the same checks hold, but the predicate locks of the index
// pages made unrelated awards abort each other several times per award.)
// The database's constraints refuse what no write should make: stock
// beyond its limit, a second revoke of an entry, negative counts.
//
// Write retries deadlocks (and serialization failures) and a connection
// lost before COMMIT was sent, with backoff, running the write function
// again. A connection lost while COMMIT was in flight leaves the outcome
// unknown: every write records a key (the caller's idempotency key, or a
// random one), so Write looks it up on another connection and returns the
// committed result, or retries; the key's unique index makes a retry of a
// write that did commit a replay, never a second application.
//
// Reads go through Read: one read-only REPEATABLE READ transaction, so a
// report or a leaderboard sees one snapshot while other replicas write;
// its Reader keeps the first failed query and Read returns it. The
// Store's own read methods (each query its own snapshot) log a failure
// instead. Survey answers are kept so that the database alone does not
// tell whose an anonymous answer is (survey.go, docs/survey-anonymity.md).
//
// The schema is embedded (migrations/NNNN_name.sql) and applied at Open
// under an advisory lock, so replicas starting together apply it once.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"jifen"
	"jifen/store"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrationLock is the key of the session advisory lock that Open holds
// while it migrates ("jifen" in ASCII).
const migrationLock int64 = 0x6a6966656e

// ErrClosed is returned for writes after Close.
var ErrClosed = errors.New("store is closed")

// Options configure Open.
type Options struct {
	// Location is the zone periods are computed in; default Asia/Shanghai.
	// A database whose aggregates were computed in another zone is refused.
	Location *time.Location
	// Clock tells the time; default the system clock.
	Clock jifen.Clock
	// IdempotencyTTL is how long a request key is remembered; at least 24h,
	// default 48h (Feishu re-delivers for about 7 hours).
	IdempotencyTTL time.Duration
	// Logger receives operator detail; default slog.Default().
	Logger *slog.Logger
	// MaxConns bounds the connections to the server; default 16.
	MaxConns int32
	// MaxAttempts bounds how often one write is tried when transactions
	// abort (serialization failures, deadlocks, lost connections); default
	// 100. The write's context bounds it too.
	MaxAttempts int
	// AnswerKey is the secret the answers of an open anonymous survey
	// round are filed under (HMAC-SHA256 of the round and the member):
	// at least 32 random bytes, the same on every replica, kept outside
	// the database and out of its backups (config store.answer_key). With
	// it and the database, an open round's answers can be linked to their
	// members; closing the round files them under random keys. Without it
	// anonymous rounds can be neither started nor answered
	// (ErrNoAnswerKey). It may change only while no anonymous round is
	// open: Open refuses another key than the open rounds' answers are
	// filed under.
	AnswerKey []byte
}

// Store is an open ledger on PostgreSQL. It is safe for concurrent use,
// and several Stores (replicas) may share one database.
type Store struct {
	pool        *pgxpool.Pool
	loc         *time.Location
	clock       jifen.Clock
	log         *slog.Logger
	ttl         time.Duration
	maxAttempts int
	answerKey   []byte
	closed      atomic.Bool

	// connCfg connects the rewrites of tables (vacuum.go), each on a
	// connection of its own.
	connCfg *pgx.ConnConfig
	// vacuuming is set while a rewrite runs in the background
	// (retryVacuum); stop ends it and background counts it, for Close.
	vacuuming  atomic.Bool
	vacuumWait time.Duration
	stop       context.Context
	stopNow    context.CancelFunc
	background sync.WaitGroup

	// retries counts the attempts of writes that were tried again.
	retries atomic.Int64

	// applied counts the migrations this Open applied.
	applied int

	// commit commits a write's transaction; tests replace it to lose the
	// connection before or during the commit.
	commit func(ctx context.Context, tx pgx.Tx) error

	purgeMu   sync.Mutex
	lastPurge time.Time

	// outbox wakes this replica's senders when messages are queued;
	// listener hears of other replicas' (see outbox.go).
	outbox   store.Signal
	listener outboxListener

	// boards are the leaderboards this replica keeps (see boardCache).
	boards boardCache
	dirs   directoryCache
}

// DefaultConnectTimeout bounds a connection attempt whose URL sets no
// connect_timeout.
const DefaultConnectTimeout = 10 * time.Second

// poolConfig parses url into the pool's configuration with the store's
// session settings.
func poolConfig(url string, maxConns int32) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// The URL may hold a password: say what is wrong, not what it is.
		return nil, errors.New("store.url is not a valid PostgreSQL connection URL")
	}
	cfg.MaxConns = maxConns
	// A server that drops packets would otherwise hold every command for
	// the system's TCP connect timeout (minutes); connect_timeout in the
	// URL sets another bound.
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = DefaultConnectTimeout
	}
	// Every session computes in UTC; periods are computed in Go.
	cfg.ConnConfig.RuntimeParams["timezone"] = "UTC"
	cfg.ConnConfig.RuntimeParams["application_name"] = "jifen"
	return cfg, nil
}

// Open connects to the database at url (a postgres:// URL or a key=value
// connection string), applies the schema migrations it lacks, and refuses
// a database whose schema is newer than this jifen.
func Open(ctx context.Context, url string, opt Options) (*Store, error) {
	if opt.Location == nil {
		loc, err := time.LoadLocation("Asia/Shanghai")
		if err != nil {
			return nil, err
		}
		opt.Location = loc
	}
	if opt.Clock == nil {
		opt.Clock = jifen.SystemClock{}
	}
	if opt.IdempotencyTTL < 24*time.Hour {
		opt.IdempotencyTTL = 48 * time.Hour
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.MaxConns <= 0 {
		opt.MaxConns = 16
	}
	if opt.MaxAttempts <= 0 {
		opt.MaxAttempts = 100
	}
	if n := len(opt.AnswerKey); n > 0 && n < 32 {
		return nil, fmt.Errorf("store.answer_key is %d bytes: it must be at least 32 random bytes", n)
	}
	cfg, err := poolConfig(url, opt.MaxConns)
	if err != nil {
		return nil, err
	}
	s := &Store{
		loc: opt.Location, clock: opt.Clock, log: opt.Logger, ttl: opt.IdempotencyTTL,
		maxAttempts: opt.MaxAttempts, answerKey: slices.Clone(opt.AnswerKey),
		commit: func(ctx context.Context, tx pgx.Tx) error { return tx.Commit(ctx) },
	}
	s.connCfg = cfg.ConnConfig.Copy()
	s.stop, s.stopNow = context.WithCancel(context.Background())
	s.vacuumWait = vacuumWait
	if err := s.migrate(ctx, cfg.ConnConfig); err != nil {
		return nil, err
	}
	s.pool, err = pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to the store: %w", err)
	}
	if err := s.checkZone(ctx); err != nil {
		s.pool.Close()
		return nil, err
	}
	if err := s.checkAnswerKey(ctx); err != nil {
		s.pool.Close()
		return nil, err
	}
	// Tables a stopped replica left to rewrite (vacuum.go): a brief try;
	// writes try again later.
	if err := s.vacuumMarked(ctx, time.Second); err != nil && !errors.Is(err, errVacuumWaits) {
		s.log.Error("store: rewriting the tables marked for it", "err", err)
	}
	return s, nil
}

// Close closes the connections; writes after it return ErrClosed.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.stopNow()
	s.background.Wait()
	s.stopListening()
	s.pool.Close()
	return nil
}

// Ping checks that the database answers, for readiness checks.
func (s *Store) Ping() error {
	if s.closed.Load() {
		return ErrClosed
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.pool.Ping(ctx)
}

// Retries is how many times a write was tried again (serialization
// failures, deadlocks, lost connections), since Open: for metrics.
func (s *Store) Retries() int64 { return s.retries.Load() }

// Location is the zone periods are computed in.
func (s *Store) Location() *time.Location { return s.loc }

// Now is the store's clock.
func (s *Store) Now() time.Time { return s.clock.Now().UTC() }

// readTimeout bounds the reads whose methods take no context (the same
// signatures as the bbolt store's).
const readTimeout = 30 * time.Second

func (s *Store) readCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), readTimeout)
}

// migration is one numbered schema change.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations lists the embedded migrations in order. Their numbers start
// at 1 and have no gaps.
func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, n := range names {
		base := strings.TrimPrefix(n, "migrations/")
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: the name must start with its number", base)
		}
		raw, err := migrationFS.ReadFile(n)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{v, base, string(raw)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: want number %d", m.name, i+1)
		}
	}
	return out, nil
}

// SchemaVersion is the schema this code writes: the number of its last
// migration.
func SchemaVersion() int {
	ms, err := migrations()
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

// migrate brings the schema up to date on a connection of its own, under
// a session advisory lock: replicas starting at once wait for the first,
// then find nothing to do. Closing the connection releases the lock even
// if the process dies mid-way; each migration is one transaction.
func (s *Store) migrate(ctx context.Context, cfg *pgx.ConnConfig) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("connect to the store: %w", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLock); err != nil {
		return fmt.Errorf("lock the schema for migration: %w", err)
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
		version    integer PRIMARY KEY CHECK (version > 0),
		name       text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("schema version: %w", err)
	}
	var cur int
	if err := conn.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM schema_version").Scan(&cur); err != nil {
		return fmt.Errorf("schema version: %w", err)
	}
	latest := len(ms)
	if cur > latest {
		return fmt.Errorf("the store's schema version %d is newer than this jifen's (%d): upgrade jifen", cur, latest)
	}
	for _, m := range ms[cur:] {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO schema_version (version, name) VALUES ($1, $2)", m.version, m.name)
			return err
		})
		if err != nil {
			return fmt.Errorf("schema migration %s: %w", m.name, err)
		}
		s.applied++
		s.log.Info("store schema migrated", "version", m.version, "migration", m.name)
	}
	_, err = conn.Exec(ctx, "SELECT pg_advisory_unlock($1)", migrationLock)
	return err
}

// checkZone records the zone the aggregates are computed in, and refuses
// another one: periods would be wrong.
func (s *Store) checkZone(ctx context.Context) error {
	zone := s.loc.String()
	var stored string
	err := s.pool.QueryRow(ctx, `INSERT INTO meta (key, value) VALUES ('zone', $1)
		ON CONFLICT (key) DO UPDATE SET value = meta.value RETURNING value`, zone).Scan(&stored)
	if err != nil {
		return fmt.Errorf("read the store's time zone: %w", err)
	}
	if stored != zone {
		return fmt.Errorf("the store's aggregates are computed in time zone %s, not %s: set timezone back to %s", stored, zone, stored)
	}
	return nil
}

// Package store is jifen's ledger on bbolt: immutable entries, the
// aggregates derived from them, members, pending approvals, idempotency keys
// and rule catalog versions, all in one file.
//
// Buckets:
//
//	meta          schema version, time zone, sequences; marks of work a crash left
//	              undone: scrub (scrub.go), rcv_migrated, agg_migrate and
//	              entries_migrated (migrate.go); boards_upto, the last entry the
//	              month boards cover (monthboard.go); the keys
//	              that sign report links and console sessions, link_key and
//	              session_key (secret.go), which backups leave out
//	entries       be64(id) → jifen.Entry in a compact binary layout (JSON before
//	              schema 4; see encodeEntry); ids are monotonic
//	reversed      be64(reversed id) → be64(revoke id): an entry is reversed at most once
//	agg           everything kept per member, so that an award touches one place:
//	              member \0 \x01 be64(id) → compact index record: the member's entries
//	                in recording order, for history, per-behavior limits and the
//	                scans over the whole ledger (report, simulate); see rcvLayout2
//	              member \0 year (or "all") → a record of that member's figures for
//	                every period key of the year (2026-W47, 2026-11, 2026-Q4, 2026),
//	                see aggregate.go:
//	                t \0 period             net points earned (no redemptions)
//	                c \0 period \0 category  the same by category (not weeks)
//	                g \0 period \0 pool      points given from an allowance pool
//	                s \0 period             points spent on rewards
//	month_boards  month \0 be32(n) → a derived copy of the month's earned points
//	                per member, rewritten every few thousand entries, that a
//	                month's ranking board loads from (see monthboard.go)
//	members       id → JSON jifen.Member
//	approvals     be64(id) → JSON Approval; approvals_open holds the pending ids
//	idem          key → be64(unix ms) + the first result; idemexp orders keys by age
//	catalogs      be32(version) → JSON {fingerprint, catalog}
//	survey_rounds, survey_answers, survey_answered: see survey.go
//
// Removing personal data leaves no copy in the file: the commits that
// close an anonymous survey round or forget a member have every free page
// of the file zeroed (scrub.go), and backups are compacted copies that
// hold no free page (backup.go).
//
// Every write goes through one committer goroutine (see commit.go) that
// applies whatever requests are queued, one after another, in a single
// transaction and fsyncs once: a limit checked inside a request therefore
// sees every earlier request, and no cap can be exceeded by two racing awards.
// Aggregates are updated in the same transaction as the entry, so Verify can
// recompute them from the entries alone.
//
// docs/store-invariants.md lists every invariant the store relies on, what
// keeps each, and which part of Verify checks it.
package store

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"jifen"
)

// SchemaVersion is the layout version this code writes. Open migrates older
// files forward and refuses newer ones.
const SchemaVersion = 4

var (
	bucketMeta      = []byte("meta")
	bucketEntries   = []byte("entries")
	bucketReversed  = []byte("reversed")
	bucketAgg       = []byte("agg")
	bucketMembers   = []byte("members")
	bucketApprovals = []byte("approvals")
	bucketOpen      = []byte("approvals_open")
	bucketIdem      = []byte("idem")
	bucketIdemExp   = []byte("idemexp")
	bucketCatalogs  = []byte("catalogs")
	// bucketStock: item id → be64 units redeemed (net of refunds), kept with
	// the redeem entries like the aggregates; bucketRedemptions: be64(id) →
	// JSON Redemption.
	bucketStock       = []byte("stock")
	bucketRedemptions = []byte("redemptions")
	// Imported by HR: period \0 member → JSON Rating; period \0 name \0
	// department → JSON KPI.
	bucketRatings = []byte("ratings")
	bucketKPIs    = []byte("kpis")
	// bucketRuns: scheduled job name → be64(unix ms of its last fire);
	// "first_seen" \0 name → be64(unix ms the scheduler first saw it).
	bucketRuns = []byte("runs")
	// bucketFeedback: member \0 be64(seq) → JSON Feedback.
	bucketFeedback = []byte("feedback")
	// Survey rounds and answers: see survey.go.
	bucketRounds   = []byte("survey_rounds")
	bucketAnswers  = []byte("survey_answers")
	bucketAnswered = []byte("survey_answered")

	allBuckets = [][]byte{bucketMeta, bucketEntries, bucketReversed, bucketAgg,
		bucketMembers, bucketApprovals, bucketOpen, bucketIdem, bucketIdemExp, bucketCatalogs,
		bucketStock, bucketRedemptions, bucketRatings, bucketKPIs, bucketRuns, bucketFeedback,
		bucketRounds, bucketAnswers, bucketAnswered, bucketOutbox, bucketAudit, bucketMonthBoards}
)

// ErrLocked is returned by Open when another process (a running `jifen serve`)
// holds the store file.
var ErrLocked = errors.New("the store file is in use by another jifen process")

// Options configure Open.
type Options struct {
	// Location is the zone periods are computed in; default Asia/Shanghai.
	Location *time.Location
	// Clock tells the time; default the system clock.
	Clock jifen.Clock
	// IdempotencyTTL is how long a request key is remembered; at least 24h,
	// default 48h (Feishu re-delivers for about 7 hours).
	IdempotencyTTL time.Duration
	// Logger receives operator detail; default slog.Default().
	Logger *slog.Logger
	// LockTimeout is how long Open waits for the file lock; default 1s.
	LockTimeout time.Duration
	// NoSync skips fsync on commit. Only for tests and bulk loads that are
	// verified afterwards: a crash may lose or corrupt recent writes.
	NoSync bool
}

// Store is an open ledger. It is safe for concurrent use.
type Store struct {
	onCommit atomic.Pointer[func(int, time.Duration)]
	db       *bolt.DB
	loc      *time.Location
	clock    jifen.Clock
	log      *slog.Logger
	ttl      time.Duration

	reqs      chan *writeReq
	stop      chan struct{}
	stopped   chan struct{}
	closeOnce sync.Once
	// gate makes Close and Write agree on which requests are queued:
	// Write holds it shared while it queues one, Close takes it to set
	// closed, so no request is queued after the committer's last drain.
	gate   sync.RWMutex
	closed bool

	// failure is set once, by the committer, when a commit fails (see
	// commit.go); failed is closed then.
	failure  atomic.Pointer[error]
	failed   chan struct{}
	failOnce sync.Once
	// commit commits a write transaction; tests replace it to make a
	// commit fail.
	commit func(*bolt.Tx) error

	// mu guards the in-memory views derived from the store: the member
	// directory and the ranking boards. They are changed only after a commit.
	mu     sync.RWMutex
	dir    *directory
	boards *boardCache

	// readers and scrubs: see scrub.go.
	readers readers
	scrubs  *scrubState
	// outbox wakes the senders; claims are the messages they hold: see
	// outbox.go.
	outbox Signal
	claims outboxClaims
	// links: see survey.go.
	links links

	lastPurge time.Time
	// lastRelease is when the committer last released the mapping's
	// pages (see commit.go); only the committer reads and writes it.
	lastRelease time.Time
}

// Open opens (creating if needed, with mode 0600) the store at path.
func Open(path string, opt Options) (*Store, error) {
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
	if opt.LockTimeout == 0 {
		opt.LockTimeout = time.Second
	}
	var size int64
	if fi, err := os.Stat(path); err == nil {
		size = fi.Size()
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:         opt.LockTimeout,
		InitialMmapSize: initialMapping(size, runtime.GOOS, strconv.IntSize),
		// The free list is written with each commit. Rebuilding it on open
		// instead (NoFreelistSync) reads every page of the file at start,
		// so a large ledger would be resident whole, and it measured no
		// faster: BenchmarkAward gave the same figures either way.
		NoFreelistSync: false,
		FreelistType:   bolt.FreelistMapType,
		NoSync:         opt.NoSync,
	})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, ErrLocked
		}
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	// With the mapping larger than the file, bbolt grows the file by
	// AllocSize at a time (a truncate and an fsync each): 16 MiB by
	// default, which would make even an empty store that large. A MiB at
	// a time keeps the file near its data for one more fsync per MiB
	// written.
	db.AllocSize = 1 << 20
	// bbolt applies the mode only when it creates the file; make sure an
	// older file is not readable by others either.
	_ = os.Chmod(path, 0o600)
	s := &Store{
		db: db, loc: opt.Location, clock: opt.Clock, log: opt.Logger, ttl: opt.IdempotencyTTL,
		reqs: make(chan *writeReq, 4096), stop: make(chan struct{}), stopped: make(chan struct{}),
		failed: make(chan struct{}), commit: (*bolt.Tx).Commit,
		boards: newBoardCache(), scrubs: newScrubState(),
	}
	s.boards.dir = func() *directory { return s.dir }
	if err := s.migrate(); err != nil {
		db.Close()
		return nil, err
	}
	if err := s.loadDirectory(); err != nil {
		db.Close()
		return nil, err
	}
	// A scrub that a crash left undone runs first.
	_ = s.view(func(btx *bolt.Tx) error {
		s.readers.setCommitted(uint64(btx.ID()))
		if btx.Bucket(bucketMeta).Get(metaScrub) != nil {
			s.scrubs.request()
		}
		return nil
	})
	go s.commitLoop()
	return s, nil
}

// initialMapping is the size of the file mapping Open asks bbolt for. A
// commit that outgrows the mapping must replace it, and that waits for
// every open read transaction to end while every new one waits behind it:
// one report, export or backup reading the whole ledger would hold back
// every write and read for as long as it runs. Mapped at twice the file
// and at least 1 GiB, which costs address space only (the pages are read
// on demand), the file must double while the process runs before a
// commit remaps. Windows grows the file itself to the mapping's size, and
// a 32-bit process has little address space to spare: there the mapping
// grows as bbolt grows it, from a smaller floor.
func initialMapping(fileSize int64, goos string, intSize int) int {
	switch {
	case goos == "windows":
		return 0
	case intSize == 32:
		if 2*fileSize <= 256<<20 {
			return 256 << 20
		}
		return 0
	}
	return int(max(1<<30, 2*fileSize))
}

// Close stops the committer after the queued writes and closes the file.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.gate.Lock()
		s.closed = true
		s.gate.Unlock()
		close(s.stop)
		<-s.stopped
		err = s.db.Close()
	})
	return err
}

// Ping runs an empty read transaction, for readiness checks: it fails once
// the store is closed or has failed (see Err), and does not return while a
// remap holds reads back.
func (s *Store) Ping() error {
	if err := s.Err(); err != nil {
		return err
	}
	return s.view(func(*bolt.Tx) error { return nil })
}

// Location is the zone periods are computed in.
func (s *Store) Location() *time.Location { return s.loc }

// ReleaseMemory tells the kernel the process no longer needs the pages of
// the file it has read so far (by a report over the year, a leaderboard's
// first load, an export): they stay in the page cache, and those the bot
// still uses come back on first access, so the process's resident memory
// is its working set rather than every page it ever read. It runs inside a
// read transaction, which keeps bbolt from remapping the file meanwhile.
func (s *Store) ReleaseMemory() {
	_ = s.view(func(tx *bolt.Tx) error {
		releaseMapping(s.db, tx.Size())
		return nil
	})
}

// Sync flushes the file to disk; for a store opened with NoSync after a
// bulk load.
func (s *Store) Sync() error { return s.db.Sync() }

// Now is the store's clock.
func (s *Store) Now() time.Time { return s.clock.Now().UTC() }

// Path is the file the store lives in.
func (s *Store) Path() string { return s.db.Path() }

// migrate creates the buckets, checks the schema version, brings an older
// file forward and rebuilds the aggregates when the time zone changed
// (periods would otherwise be wrong).
func (s *Store) migrate() error {
	migrating, rebuild, rewrite := false, false, false
	err := s.db.Update(func(tx *bolt.Tx) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		v := 0
		if raw := meta.Get([]byte("schema")); raw != nil {
			v = int(decodeU64(raw))
		}
		if v > SchemaVersion {
			return fmt.Errorf("store schema version %d is newer than this jifen (%d): upgrade jifen", v, SchemaVersion)
		}
		// Forward migrations, one step per version; a new file has
		// nothing to migrate.
		if v == 0 {
			v = SchemaVersion
		}
		if v == 1 {
			if err := s.migrateAnonymousRounds(tx); err != nil {
				return err
			}
			v = 2
		}
		if v == 2 {
			// The receiver index is rewritten in transactions of its own,
			// below; the file is schema 3 from now on, so that an older
			// jifen refuses it even if the rewrite is cut short.
			if err := meta.Put(metaRcvMigrated, []byte{0}); err != nil {
				return err
			}
			v = 3
		}
		if v == 3 {
			// Aggregate records gain the length of each figure; they are
			// recomputed from the entries below (rebuildAggregates), and
			// the month boards built (buildMonthBoards).
			// The entries are rewritten in the compact layout
			// (migrateEntries).
			if err := meta.Put(metaAggMigrate, []byte{1}); err != nil {
				return err
			}
			if err := meta.Put(metaEntriesMigrated, []byte{0}); err != nil {
				return err
			}
			v = 4
		}
		migrating = meta.Get(metaRcvMigrated) != nil
		rewrite = meta.Get(metaEntriesMigrated) != nil
		if err := meta.Put([]byte("schema"), encodeU64(uint64(v))); err != nil {
			return err
		}
		zone := []byte(s.loc.String())
		if old := meta.Get([]byte("zone")); old != nil && string(old) != string(zone) {
			s.log.Warn("time zone changed; rebuilding aggregates", "from", string(old), "to", string(zone))
			// The new zone is stored now: the mark makes a rebuild a
			// crash cuts short go on at the next Open.
			if err := meta.Put(metaAggMigrate, []byte{1}); err != nil {
				return err
			}
		}
		rebuild = meta.Get(metaAggMigrate) != nil
		return meta.Put([]byte("zone"), zone)
	})
	if err != nil {
		return err
	}
	if migrating {
		if err := s.migrateReceiverIndex(); err != nil {
			return err
		}
	}
	// The entries first: the aggregates are recomputed from them, and the
	// compact layout decodes faster than JSON.
	if rewrite {
		if err := s.migrateEntries(); err != nil {
			return err
		}
	}
	if rebuild {
		if err := s.rebuildAggregates(); err != nil {
			return fmt.Errorf("rebuilding the aggregates: %w", err)
		}
	}
	// After the aggregates: the month boards are built in the zone they
	// were recomputed in.
	var built bool
	_ = s.db.View(func(btx *bolt.Tx) error {
		_, built = s.boardsUpTo(btx)
		return nil
	})
	if !built {
		return s.buildMonthBoards()
	}
	return nil
}

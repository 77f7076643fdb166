package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"jifen/store"
)

const outboxColumns = `id, platform, key, lane, member, address, body, queued, attempts, not_before`

func scanOutgoing(r scanner) (store.Outgoing, error) {
	var o store.Outgoing
	var id int64
	var addr, body []byte
	var notBefore *time.Time
	err := r.Scan(&id, &o.Platform, &o.Key, &o.Lane, &o.To, &addr, &body, &o.Queued, &o.Attempts, &notBefore)
	o.ID, o.Queued = uint64(id), o.Queued.UTC()
	if len(addr) > 0 {
		o.Address = json.RawMessage(addr)
	}
	o.Body = json.RawMessage(body)
	if notBefore != nil {
		o.NotBefore = notBefore.UTC()
	}
	return o, err
}

// Enqueue queues o in the transaction: it is sent only if the transaction
// commits, and then at least once. A message whose key was queued before
// on its platform (within the idempotency window, by any replica) is not
// queued again: the id is then 0.
//
// It is one statement (the key's record, the id and the message), and it
// notifies no one: the replica's own senders are woken once the
// transaction commits, and the other replicas' by a notification the
// Store sends on its own soon after (see announce). A NOTIFY in the
// transaction would have PostgreSQL serialize its commit with every other
// notifying commit of the cluster, each waiting for its own WAL flush.
func (tx *Tx) Enqueue(o store.Outgoing) (uint64, error) {
	if o.Platform == "" || (o.To == "" && len(o.Address) == 0) || len(o.Body) == 0 {
		return 0, errors.New("enqueue: a message needs a platform, a receiver and a body")
	}
	ikey := ""
	if o.Key != "" {
		ikey = "outbox:" + o.Platform + ":" + o.Key
	}
	var addr any
	if len(o.Address) > 0 {
		addr = string(o.Address)
	}
	// The key's insert runs whether or not the rest of the statement
	// reads it (PostgreSQL runs every data-modifying WITH to its end);
	// the id is drawn, and the message inserted, only if it inserted a
	// row, or there is no key. A message without a key is keyed by its id.
	var id int64
	found, err := tx.row(`WITH k AS (
			INSERT INTO idempotency (key, at, expires) SELECT $1, $9, $10 WHERE $1 <> ''
			ON CONFLICT (key) DO NOTHING RETURNING 1),
		n AS (SELECT nextval('outbox_id_seq') AS id WHERE $1 = '' OR EXISTS (SELECT 1 FROM k))
		INSERT INTO outbox (id, platform, key, lane, member, address, receiver, body, queued)
		SELECT n.id, $2, coalesce(nullif($3, ''), 'outbox:' || n.id), $4, $5, $6::json, $7, $8::json, $9 FROM n
		RETURNING id`,
		[]any{ikey, o.Platform, o.Key, o.Lane, o.To, addr, o.Receiver(), string(o.Body), tx.now, tx.now.Add(tx.s.ttl)}, &id)
	if err != nil || !found {
		return 0, err
	}
	tx.queued = true
	tx.s.announce(o.Platform)
	return uint64(id), nil
}

// Enqueue queues messages in one transaction of their own.
func (s *Store) Enqueue(ctx context.Context, msgs ...store.Outgoing) error {
	if len(msgs) == 0 {
		return nil
	}
	_, _, err := s.write(ctx, "", func(tx *Tx) ([]byte, error) {
		for _, o := range msgs {
			if _, err := tx.Enqueue(o); err != nil {
				return nil, err
			}
		}
		return nil, nil
	})
	return err
}

func (s *Store) outboxQuery(ctx context.Context, q string, args ...any) ([]store.Outgoing, error) {
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Outgoing, error) { return scanOutgoing(r) })
}

// OutboxClaim claims up to limit messages of platform that are due at now,
// for this replica to send, oldest first: each is claimed by one replica
// at a time, for lease (after which another replica may claim it, if it
// is still there: the sender died). A message is claimed only when no
// earlier message to the same receiver is waiting, so that one receiver's
// messages go one at a time, in order, whichever replica sends them; with
// spacing, only when no replica claimed a message to that receiver in the
// spacing before now (outbox_pace keeps when each was).
//
// FOR UPDATE SKIP LOCKED lets replicas claim at once without waiting on
// each other; a row another claim locked is passed over, and one it
// claimed fails the claimed_until test once that claim committed.
func (s *Store) OutboxClaim(ctx context.Context, platform string, now time.Time, limit int, lease, spacing time.Duration) ([]store.Outgoing, error) {
	now = now.UTC()
	s.prunePace(ctx, now)
	return s.outboxQuery(ctx, `WITH c AS (
			SELECT id AS cid, receiver AS crecv FROM outbox o
			WHERE platform = $1 AND (not_before IS NULL OR not_before <= $2)
				AND (claimed_until IS NULL OR claimed_until <= $2)
				AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.platform = o.platform AND p.receiver = o.receiver AND p.id < o.id)
				AND NOT EXISTS (SELECT 1 FROM outbox_pace r WHERE r.platform = o.platform AND r.receiver = o.receiver AND r.next_at > $2)
			ORDER BY id LIMIT $3
			FOR UPDATE OF o SKIP LOCKED),
		paced AS (
			INSERT INTO outbox_pace (platform, receiver, next_at) SELECT $1, crecv, $5 FROM c WHERE $6
			ON CONFLICT (platform, receiver) DO UPDATE SET next_at = excluded.next_at)
		UPDATE outbox SET claimed_until = $4 FROM c WHERE id = c.cid
		RETURNING `+outboxColumns,
		platform, now, limit, now.Add(lease), now.Add(spacing), spacing > 0)
}

// prunePace deletes, every ten minutes at most, the receivers' spacing
// rows that ended an hour ago or more: one row per receiver ever sent to
// would otherwise stay.
func (s *Store) prunePace(ctx context.Context, now time.Time) {
	s.listener.mu.Lock()
	due := now.Sub(s.listener.pruned) >= 10*time.Minute
	if due {
		s.listener.pruned = now
	}
	s.listener.mu.Unlock()
	if !due {
		return
	}
	if _, err := s.pool.Exec(ctx, "DELETE FROM outbox_pace WHERE receiver <> '' AND next_at < $1", now.Add(-time.Hour)); err != nil {
		s.log.Warn("store: prune the outbox's spacing", "err", err)
	}
}

// OutboxRelease ends claims without counting an attempt, and wakes the
// senders of every replica.
func (s *Store) OutboxRelease(ctx context.Context, platform string, ids ...uint64) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := s.pool.Exec(ctx, `UPDATE outbox SET claimed_until = NULL WHERE platform = $1 AND id = ANY ($2)`, platform, int64s(ids))
	if err == nil {
		s.outbox.Notify()
		s.announce(platform)
	}
	return err
}

// OutboxSlot reserves platform's next send slot in one statement: the row
// lock of the upsert orders the replicas' reservations, each gets a slot
// of its own, interval after the one before.
//
// The upsert's commit does not wait for its WAL flush (asyncCommit): every
// send of every replica reserves its slot on this one row, and a commit
// that waited would hold the row, and so every other replica's next
// reservation, for the length of a flush. Nothing is lost or sent twice if
// the server crashes before the flush: the reservations of the last
// moments before the crash (PostgreSQL's WAL writer flushes such commits
// within three wal_writer_delay, 600 ms by default) are forgotten, so
// slots reserved after the restart may fall at the times of slots used
// before it, and the sends go faster than the pace once, for a fraction
// of a second (the platform may answer with a request to wait, which the
// senders keep: OutboxHold). A claim, which decides who sends a message,
// and OutboxDone, which removes a sent one, keep waiting for the flush:
// losing either would send a message twice.
func (s *Store) OutboxSlot(ctx context.Context, platform string, now time.Time, interval time.Duration) (time.Time, error) {
	var slot time.Time
	err := s.pool.QueryRow(ctx, `INSERT INTO outbox_pace (platform, receiver, next_at)
		SELECT $1, '', $2::timestamptz + $3::bigint * interval '1 microsecond' FROM `+asyncCommit+`
		ON CONFLICT (platform, receiver) DO UPDATE
			SET next_at = greatest(outbox_pace.next_at, $2) + $3::bigint * interval '1 microsecond'
		RETURNING next_at - $3::bigint * interval '1 microsecond'`,
		platform, now.UTC(), interval.Microseconds()).Scan(&slot)
	return slot.UTC(), err
}

// OutboxHold moves platform's next slot to until, if it is earlier. Like
// OutboxSlot, its commit does not wait for the flush: a hold lost in a
// crash of the server lets the senders try the platform early, which
// answers with another request to wait.
func (s *Store) OutboxHold(ctx context.Context, platform string, until time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO outbox_pace (platform, receiver, next_at) SELECT $1, '', $2 FROM `+asyncCommit+`
		ON CONFLICT (platform, receiver) DO UPDATE SET next_at = greatest(outbox_pace.next_at, $2)`, platform, until.UTC())
	return err
}

// asyncCommit, in the FROM of a statement run on its own, has its
// transaction commit without waiting for the WAL flush (synchronous_commit
// off for that transaction only): for writes whose loss in a crash of the
// server costs nothing but a little pace. It yields one row.
const asyncCommit = `(SELECT set_config('synchronous_commit', 'off', true)) AS async_commit`

// OutboxDue returns up to limit messages of platform, oldest first, that
// are due at now and whose id is above after; held-back messages are
// passed over. It claims nothing (see OutboxClaim).
func (s *Store) OutboxDue(platform string, after uint64, now time.Time, limit int) ([]store.Outgoing, error) {
	ctx, cancel := s.readCtx()
	defer cancel()
	return s.outboxQuery(ctx, "SELECT "+outboxColumns+` FROM outbox
		WHERE platform = $1 AND id > $2 AND (not_before IS NULL OR not_before <= $3) ORDER BY id LIMIT $4`,
		platform, int64(after), now.UTC(), limit)
}

// OutboxGet reads one message of platform's outbox, as it is now.
func (s *Store) OutboxGet(platform string, id uint64) (store.Outgoing, bool, error) {
	ctx, cancel := s.readCtx()
	defer cancel()
	out, err := s.outboxQuery(ctx, "SELECT "+outboxColumns+" FROM outbox WHERE platform = $1 AND id = $2", platform, int64(id))
	if err != nil || len(out) == 0 {
		return store.Outgoing{}, false, err
	}
	return out[0], true, nil
}

// OutboxLen is how many messages of platform wait to be sent.
func (s *Store) OutboxLen(platform string) (int, error) {
	ctx, cancel := s.readCtx()
	defer cancel()
	var n int
	err := s.pool.QueryRow(ctx, "SELECT count(*) FROM outbox WHERE platform = $1", platform).Scan(&n)
	return n, err
}

func int64s(ids []uint64) []int64 {
	list := make([]int64, len(ids))
	for i, id := range ids {
		list[i] = int64(id)
	}
	return list
}

// OutboxDone removes sent (or given up) messages, in one statement of its
// own. Its commit waits for the WAL flush, like any write's: a removal
// lost in a crash of the server would have the message sent again. A
// statement that failed for a cause that may pass (a lost connection, a
// deadlock) is run again: deleting what is already deleted changes
// nothing, so a removal whose outcome is unknown needs no key to be
// resolved by.
func (s *Store) OutboxDone(ctx context.Context, platform string, ids ...uint64) error {
	if len(ids) == 0 {
		return nil
	}
	for attempt := 1; ; attempt++ {
		if s.closed.Load() {
			return ErrClosed
		}
		_, err := s.pool.Exec(ctx, "DELETE FROM outbox WHERE platform = $1 AND id = ANY ($2)", platform, int64s(ids))
		if err == nil || !mayPass(err) || attempt >= 10 {
			return err
		}
		s.retries.Add(1)
		if werr := backoff(ctx, attempt); werr != nil {
			return err
		}
	}
}

// mayPass reports whether a statement that failed with err may succeed
// when run again: a serialization failure, a deadlock, or a failure of
// the connection or the server rather than of the statement.
func mayPass(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "40001" || pe.Code == "40P01" || sessionEnded(pe)
	}
	return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// OutboxRetry counts a failed attempt at a message, holds it back until
// notBefore and ends its claim. It reports the attempts made so far.
func (s *Store) OutboxRetry(ctx context.Context, platform string, id uint64, notBefore time.Time) (int, error) {
	var n int
	_, _, err := s.write(ctx, "", func(tx *Tx) ([]byte, error) {
		n = 0
		_, err := tx.row(`UPDATE outbox SET attempts = attempts + 1, not_before = $3, claimed_until = NULL
			WHERE platform = $1 AND id = $2 RETURNING attempts`, []any{platform, int64(id), notBefore.UTC()}, &n)
		tx.queued = err == nil
		return nil, err
	})
	if err == nil {
		s.announce(platform)
	}
	return n, err
}

// outboxChannel is the channel a Store notifies, with the platform as
// payload, after it queued, released or rescheduled messages (see
// announce).
const outboxChannel = "jifen_outbox"

// OutboxChanged returns a channel closed once a message was queued,
// released or rescheduled, by this replica or another. This replica's
// writes wake its senders as they commit. Another replica's reach them
// through a notification: each Store keeps one connection of its own
// LISTENing (from the first call on), and sends at most one notification
// per platform every noticeEvery for the messages it queued meanwhile
// (announce). A notification lost while that connection was down is made
// up for by a wake-up when it is back, and the senders' own poll covers
// the rest. A LISTEN costs one idle connection per replica; polling alone
// would cost a query per sender every poll, and a notice could wait a
// whole poll.
func (s *Store) OutboxChanged() <-chan struct{} {
	s.listen()
	return s.outbox.Wait()
}

// outboxListener is the Store's LISTEN connection, running from the first
// OutboxChanged to Close.
type outboxListener struct {
	mu               sync.Mutex
	started, stopped bool
	cancel           context.CancelFunc
	done             chan struct{}
	// listening is closed once the first LISTEN is in place.
	listening chan struct{}
	pruned    time.Time // when prunePace last ran
	// notices are the notifications owed to the other replicas.
	notices outboxNotices
}

// noticeEvery is how long a Store gathers the platforms it queued
// messages for before it notifies the other replicas of them, once per
// platform: the other replicas' senders hear of a message within about
// that time (this replica's at its commit).
const noticeEvery = 25 * time.Millisecond

// outboxNotices gathers the platforms of the messages a Store queued,
// released or rescheduled, and notifies the other replicas of them from a
// goroutine of its own (running from the first announce to Close), never
// in a command's transaction: PostgreSQL serializes every commit of a
// transaction that notified, across the whole cluster, and holds each
// until its WAL record is flushed (a lock taken in PreCommit_Notify and
// released at the transaction's end), which would make the commits of
// every command of every replica wait in line for one flush each.
type outboxNotices struct {
	mu               sync.Mutex
	pending          map[string]bool
	started, stopped bool
	poke             chan struct{}
	cancel           context.CancelFunc
	done             chan struct{}
	// window returns the wait that gathers platforms (noticeEvery);
	// tests replace it.
	window func() <-chan time.Time
}

// announce owes the other replicas a notification about platform's
// outbox. A message queued in a transaction is announced before the
// commit; the notification is sent noticeEvery later, by when the
// transaction has committed unless it is a slow one: its message then
// waits for this replica's senders (woken at the commit) or the next
// notification or poll of the others'.
func (s *Store) announce(platform string) {
	n := &s.listener.notices
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.stopped {
		return
	}
	if n.pending == nil {
		n.pending = map[string]bool{}
	}
	n.pending[platform] = true
	if !n.started {
		n.started = true
		if n.window == nil {
			n.window = func() <-chan time.Time { return time.After(noticeEvery) }
		}
		n.poke = make(chan struct{}, 1)
		ctx, cancel := context.WithCancel(context.Background())
		n.cancel, n.done = cancel, make(chan struct{})
		go s.sendNotices(ctx, n.window)
	}
	select {
	case n.poke <- struct{}{}:
	default:
	}
}

// sendNotices notifies the platforms announced, at most once per window,
// until ctx ends; then it sends what is still owed.
func (s *Store) sendNotices(ctx context.Context, window func() <-chan time.Time) {
	n := &s.listener.notices
	defer close(n.done)
	// What is owed at Close is sent, briefly: Close does not wait long
	// for a server that is gone.
	defer s.notify(2 * time.Second)
	for {
		select {
		case <-ctx.Done():
			return
		case <-n.poke:
		}
		select {
		case <-ctx.Done():
			return
		case <-window():
		}
		s.notify(10 * time.Second)
	}
}

// notify sends one notification for each platform announced since the
// last. Its transaction does not wait for its WAL flush: a notification
// lost in a crash of the server costs only a wake-up, and it holds the
// cluster's notification lock for less time.
func (s *Store) notify(timeout time.Duration) {
	n := &s.listener.notices
	n.mu.Lock()
	platforms := make([]string, 0, len(n.pending))
	for p := range n.pending {
		platforms = append(platforms, p)
	}
	clear(n.pending)
	n.mu.Unlock()
	if len(platforms) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	_, err := s.pool.Exec(ctx, `SELECT pg_notify('`+outboxChannel+`', p) FROM unnest($1::text[]) p, `+asyncCommit, platforms)
	if err != nil {
		s.log.Warn("store: notifying the other replicas of queued messages", "err", err)
	}
}

// stopNotices sends what is owed and ends sendNotices, for Close.
func (s *Store) stopNotices() {
	n := &s.listener.notices
	n.mu.Lock()
	n.stopped = true
	started := n.started
	n.mu.Unlock()
	if started {
		n.cancel()
		<-n.done
	}
}

func (s *Store) listen() {
	l := &s.listener
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.started || l.stopped {
		return
	}
	l.started = true
	ctx, cancel := context.WithCancel(context.Background())
	l.cancel, l.done = cancel, make(chan struct{})
	if l.listening == nil {
		l.listening = make(chan struct{})
	}
	go func() {
		defer close(l.done)
		wait := 100 * time.Millisecond
		for again := false; ctx.Err() == nil; again = true {
			listening, err := s.listenOnce(ctx, again)
			if ctx.Err() != nil {
				return
			}
			if listening {
				wait = 100 * time.Millisecond
			}
			s.log.Warn("store: listening for queued messages", "err", err, "again_in", wait)
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
			case <-t.C:
			}
			t.Stop()
			wait = min(2*wait, 30*time.Second)
		}
	}()
}

// listenOnce connects, LISTENs and wakes the senders at each notification
// until the connection fails or ctx ends; listening tells whether it got
// as far as listening. When it listens again after a failure, it wakes
// the senders at once: a message may have been queued meanwhile. (The
// first time, the senders have yet to look.)
func (s *Store) listenOnce(ctx context.Context, again bool) (listening bool, err error) {
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig)
	if err != nil {
		return false, err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+outboxChannel); err != nil {
		return false, err
	}
	if again {
		s.outbox.Notify()
	}
	s.listener.mu.Lock()
	select {
	case <-s.listener.listening:
	default:
		close(s.listener.listening)
	}
	s.listener.mu.Unlock()
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return true, err
		}
		s.outbox.Notify()
	}
}

// stopListening ends the LISTEN connection and sends the notifications
// owed, for Close.
func (s *Store) stopListening() {
	s.stopNotices()
	l := &s.listener
	l.mu.Lock()
	l.stopped = true
	started := l.started
	l.mu.Unlock()
	if started {
		l.cancel()
		<-l.done
	}
}

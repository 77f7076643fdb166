package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

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
func (tx *Tx) Enqueue(o store.Outgoing) (uint64, error) {
	if o.Platform == "" || (o.To == "" && len(o.Address) == 0) || len(o.Body) == 0 {
		return 0, errors.New("enqueue: a message needs a platform, a receiver and a body")
	}
	if o.Key != "" {
		tag, err := tx.exec(`INSERT INTO idempotency (key, at, expires) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING`,
			"outbox:"+o.Platform+":"+o.Key, tx.now, tx.now.Add(tx.s.ttl))
		if err != nil {
			return 0, err
		}
		if tag.RowsAffected() == 0 {
			return 0, nil
		}
	}
	var id int64
	if _, err := tx.row("SELECT nextval('outbox_id_seq')", nil, &id); err != nil {
		return 0, err
	}
	if o.Key == "" {
		o.Key = fmt.Sprintf("outbox:%d", id)
	}
	var addr any
	if len(o.Address) > 0 {
		addr = string(o.Address)
	}
	_, err := tx.exec(`INSERT INTO outbox (id, platform, key, lane, member, address, receiver, body, queued)
		VALUES ($1, $2, $3, $4, $5, $6::json, $7, $8::json, $9)`,
		id, o.Platform, o.Key, o.Lane, o.To, addr, o.Receiver(), string(o.Body), tx.now)
	if err != nil {
		return 0, err
	}
	tx.queued = true
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
// messages go one at a time, in order, whichever replica sends them.
func (s *Store) OutboxClaim(ctx context.Context, platform string, now time.Time, limit int, lease time.Duration) ([]store.Outgoing, error) {
	now = now.UTC()
	return s.outboxQuery(ctx, `WITH c AS (
			SELECT id AS cid FROM outbox o
			WHERE platform = $1 AND (not_before IS NULL OR not_before <= $2)
				AND (claimed_until IS NULL OR claimed_until <= $2)
				AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.platform = o.platform AND p.receiver = o.receiver AND p.id < o.id)
			ORDER BY id LIMIT $3
			FOR UPDATE SKIP LOCKED)
		UPDATE outbox SET claimed_until = $4 FROM c WHERE id = c.cid
		RETURNING `+outboxColumns,
		platform, now, limit, now.Add(lease))
}

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
func (s *Store) OutboxGet(platform string, id uint64) (store.Outgoing, bool) {
	ctx, cancel := s.readCtx()
	defer cancel()
	out, err := s.outboxQuery(ctx, "SELECT "+outboxColumns+" FROM outbox WHERE platform = $1 AND id = $2", platform, int64(id))
	if err != nil || len(out) == 0 {
		return store.Outgoing{}, false
	}
	return out[0], true
}

// OutboxLen is how many messages of platform wait to be sent.
func (s *Store) OutboxLen(platform string) int {
	ctx, cancel := s.readCtx()
	defer cancel()
	var n int
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM outbox WHERE platform = $1", platform).Scan(&n); err != nil {
		s.log.Error("store: count the outbox", "err", err)
	}
	return n
}

// OutboxDone removes sent (or given up) messages.
func (s *Store) OutboxDone(ctx context.Context, platform string, ids ...uint64) error {
	if len(ids) == 0 {
		return nil
	}
	list := make([]int64, len(ids))
	for i, id := range ids {
		list[i] = int64(id)
	}
	_, _, err := s.write(ctx, "", func(tx *Tx) ([]byte, error) {
		_, err := tx.exec("DELETE FROM outbox WHERE platform = $1 AND id = ANY ($2)", platform, list)
		return nil, err
	})
	return err
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
	return n, err
}

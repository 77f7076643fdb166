package postgres

import (
	"time"

	"github.com/jackc/pgx/v5"

	"jifen"
	"jifen/store"
)

const redemptionColumns = `id, created_at, member, item, quantity, points, entry, status, decided_by, decided_at,
	note, fulfilled_by, fulfilled_at, cancelled_by, cancelled_at, coalesce(refund, 0)`

func scanRedemption(r scanner) (store.Redemption, error) {
	var x store.Redemption
	var id, entry, refund int64
	var status string
	var decided, fulfilled, cancelled *time.Time
	err := r.Scan(&id, &x.CreatedAt, &x.Member, &x.Item, &x.Quantity, &x.Points, &entry, &status, &x.DecidedBy, &decided,
		&x.Note, &x.FulfilledBy, &fulfilled, &x.CancelledBy, &cancelled, &refund)
	x.ID, x.Entry, x.Refund, x.Status, x.CreatedAt = uint64(id), uint64(entry), uint64(refund), store.RedemptionStatus(status), x.CreatedAt.UTC()
	for _, p := range []struct {
		from *time.Time
		to   *time.Time
	}{{decided, &x.DecidedAt}, {fulfilled, &x.FulfilledAt}, {cancelled, &x.CancelledAt}} {
		if p.from != nil {
			*p.to = p.from.UTC()
		}
	}
	return x, err
}

// AddRedemption stores a new redemption and returns its id.
func (tx *Tx) AddRedemption(r *store.Redemption) (uint64, error) {
	if r.CreatedAt.IsZero() {
		r.CreatedAt = tx.now
	}
	var id int64
	if _, err := tx.row("SELECT nextval('redemptions_id_seq')", nil, &id); err != nil {
		return 0, err
	}
	r.ID = uint64(id)
	_, err := tx.exec(`INSERT INTO redemptions (id, created_at, member, item, quantity, points, entry, status)
		VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending')`, id, r.CreatedAt.UTC(), r.Member, r.Item, r.Quantity, r.Points, int64(r.Entry))
	if err != nil {
		return 0, err
	}
	return r.ID, tx.PutRedemption(r)
}

// PutRedemption saves a redemption's new state. The database refuses a
// rejected or cancelled redemption without its refund, and a refund
// without that state.
func (tx *Tx) PutRedemption(r *store.Redemption) error {
	_, err := tx.exec(`UPDATE redemptions SET created_at = $2, member = $3, item = $4, quantity = $5, points = $6,
		entry = $7, status = $8, decided_by = $9, decided_at = $10, note = $11, fulfilled_by = $12, fulfilled_at = $13,
		cancelled_by = $14, cancelled_at = $15, refund = $16 WHERE id = $1`,
		int64(r.ID), r.CreatedAt.UTC(), r.Member, r.Item, r.Quantity, r.Points, int64(r.Entry), string(r.Status),
		r.DecidedBy, nullTime(r.DecidedAt), r.Note, r.FulfilledBy, nullTime(r.FulfilledAt), r.CancelledBy,
		nullTime(r.CancelledAt), nullID(r.Refund))
	return err
}

// Redemption reads a redemption inside the transaction.
func (tx *Tx) Redemption(id uint64) (store.Redemption, bool) {
	return tx.redemptionWhere("id = $1", int64(id))
}

// RedemptionOf returns the redemption whose redeem entry is entry, if any
// (imported redeem entries have none).
func (tx *Tx) RedemptionOf(entry uint64) (store.Redemption, bool) {
	return tx.redemptionWhere("entry = $1", int64(entry))
}

func (tx *Tx) redemptionWhere(cond string, arg any) (store.Redemption, bool) {
	// Locked until the transaction ends: a concurrent decision waits,
	// then reads the decided redemption.
	tx.track("SELECT FOR UPDATE")
	r, err := scanRedemption(tx.tx.QueryRow(tx.ctx, "SELECT "+redemptionColumns+" FROM redemptions WHERE "+cond+" FOR UPDATE", arg))
	if err != nil {
		if !isNoRows(err) {
			tx.note(err)
		}
		return store.Redemption{}, false
	}
	return r, true
}

// RefundRedemption refunds r in full and closes it with status
// (RedemptionRejected or RedemptionCancelled): a revoke entry built from
// revoke (Giver, Reason, RuleVersion, Source) reverses r's redeem entry,
// giving back the points and the stock. It fails unless r is Refundable.
// If the redeem entry was reversed already, that revoke is recorded as the
// refund and no entry is written. It returns the refund's entry id.
func (tx *Tx) RefundRedemption(r *store.Redemption, status store.RedemptionStatus, revoke jifen.Entry) (uint64, error) {
	if err := r.CheckRefund(status); err != nil {
		return 0, err
	}
	rid := tx.ReversedBy(r.Entry)
	if rid == 0 {
		revoke.Kind, revoke.Reverses = jifen.KindRevoke, r.Entry
		tx.refunding = r.Entry
		var err error
		rid, err = tx.Append(&revoke)
		tx.refunding = 0
		if err != nil {
			return 0, err
		}
	}
	r.Status, r.Refund = status, rid
	return rid, tx.PutRedemption(r)
}

// Redemptions lists redemptions newest first: a member's (member != ""),
// or, with member empty, those not yet fulfilled or rejected (for admins).
// At most n.
func (r *reader) Redemptions(member string, n int) []store.Redemption {
	ctx := r.ctx
	q := "SELECT " + redemptionColumns + " FROM redemptions WHERE member = $1 ORDER BY id DESC LIMIT $2"
	args := []any{member, n}
	if member == "" {
		q = "SELECT " + redemptionColumns + " FROM redemptions WHERE status IN ('pending', 'approved') ORDER BY id DESC LIMIT $1"
		args = []any{n}
	}
	rows, err := r.q.Query(ctx, q, args...)
	if err != nil {
		r.fail("redemptions", err)
		return nil
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Redemption, error) { return scanRedemption(r) })
	if err != nil {
		r.fail("redemptions", err)
	}
	return out
}

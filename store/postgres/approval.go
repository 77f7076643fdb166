package postgres

import (
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"jifen/store"
)

const approvalColumns = `id, created_at, giver, receivers, points, category, behavior, reason, rule_version,
	source, status, decided_by, decided_at, note, entries`

func scanApproval(r scanner) (store.Approval, error) {
	var a store.Approval
	var id int64
	var rv int32
	var status string
	var decided *time.Time
	var entries []int64
	err := r.Scan(&id, &a.CreatedAt, &a.Giver, &a.Receivers, &a.Points, &a.Category, &a.Behavior, &a.Reason, &rv,
		&a.Source, &status, &a.DecidedBy, &decided, &a.Note, &entries)
	a.ID, a.RuleVersion, a.Status, a.CreatedAt = uint64(id), int(rv), store.ApprovalStatus(status), a.CreatedAt.UTC()
	if decided != nil {
		a.DecidedAt = decided.UTC()
	}
	for _, e := range entries {
		a.Entries = append(a.Entries, uint64(e))
	}
	return a, err
}

// AddApproval stores a new pending approval and returns its id. While
// pending it reserves its points against the caps (Tx.Usage).
func (tx *Tx) AddApproval(a *store.Approval) (uint64, error) {
	a.Status = store.Pending
	if a.CreatedAt.IsZero() {
		a.CreatedAt = tx.now
	}
	a.CreatedAt = a.CreatedAt.UTC().Truncate(time.Microsecond)
	// It reserves points of the giver and the receivers: lock them as an
	// award would.
	if err := tx.lockMembers(append([]string{a.Giver}, a.Receivers...)...); err != nil {
		return 0, err
	}
	var id int64
	_, err := tx.row(`INSERT INTO approvals (created_at, giver, receivers, points, category, behavior, reason,
		rule_version, source, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending') RETURNING id`,
		[]any{a.CreatedAt, a.Giver, a.Receivers, a.Points, a.Category, a.Behavior, a.Reason, a.RuleVersion, a.Source}, &id)
	if err != nil {
		return 0, err
	}
	a.ID = uint64(id)
	return a.ID, nil
}

// Approval returns the approval with the given id.
//
// The row stays locked until the transaction ends: a concurrent decision
// waits, then reads the decided approval.
func (tx *Tx) Approval(id uint64) (store.Approval, bool) {
	tx.track("SELECT FOR UPDATE")
	a, err := scanApproval(tx.tx.QueryRow(tx.ctx, "SELECT "+approvalColumns+" FROM approvals WHERE id = $1 FOR UPDATE", int64(id)))
	if err != nil {
		if !isNoRows(err) {
			tx.note(err)
		}
		return store.Approval{}, false
	}
	return a, true
}

// DecideApproval records the decision on a pending approval. It fails if
// the approval was decided already (by this replica or another).
func (tx *Tx) DecideApproval(a *store.Approval) error {
	if a.Status == store.Pending {
		return fmt.Errorf("approval %d: a decision is required", a.ID)
	}
	if a.DecidedAt.IsZero() {
		a.DecidedAt = tx.now
	}
	a.DecidedAt = a.DecidedAt.UTC().Truncate(time.Microsecond)
	entries := make([]int64, len(a.Entries))
	for i, e := range a.Entries {
		entries[i] = int64(e)
	}
	tag, err := tx.exec(`UPDATE approvals SET status = $2, decided_by = $3, decided_at = $4, note = $5, entries = $6
		WHERE id = $1 AND status = 'pending'`, int64(a.ID), string(a.Status), a.DecidedBy, a.DecidedAt, a.Note, entries)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("approval %d is not pending", a.ID)
	}
	return nil
}

// OpenApprovals lists the pending approvals, oldest first.
func (r *reader) OpenApprovals() ([]store.Approval, error) {
	ctx := r.ctx
	rows, err := r.q.Query(ctx, "SELECT "+approvalColumns+" FROM approvals WHERE status = 'pending' ORDER BY id")
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Approval, error) { return scanApproval(r) })
}

// Approval returns one approval by id.
func (r *reader) Approval(id uint64) (store.Approval, bool) {
	ctx := r.ctx
	a, err := scanApproval(r.q.QueryRow(ctx, "SELECT "+approvalColumns+" FROM approvals WHERE id = $1", int64(id)))
	if err != nil {
		if !isNoRows(err) {
			r.fail("an approval", err)
		}
		return store.Approval{}, false
	}
	return a, true
}

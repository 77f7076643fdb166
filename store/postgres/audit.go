package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"jifen/store"
)

// Audit appends r to the audit trail, stamped with the transaction's time.
func (tx *Tx) Audit(r store.AuditRecord) error {
	if r.Outcome == "" {
		r.Outcome = "ok"
	}
	_, err := tx.exec(`INSERT INTO audit (at, actor, action, object, outcome, via) VALUES ($1, $2, $3, $4, $5, $6)`,
		tx.now, r.Actor, r.Action, r.Object, r.Outcome, r.Via)
	return err
}

// Audit appends r to the audit trail on its own (for an action that
// writes nothing else: a sign-in, a refusal).
func (s *Store) Audit(ctx context.Context, r store.AuditRecord) error {
	_, _, err := s.write(ctx, "", func(tx *Tx) ([]byte, error) { return nil, tx.Audit(r) })
	return err
}

// AuditLog returns the records f selects, newest first.
func (r *reader) AuditLog(f store.AuditFilter) []store.AuditRecord {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	var cond []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.Actor != "" {
		cond = append(cond, "actor = "+arg(f.Actor))
	}
	if f.Action != "" {
		a := arg(f.Action)
		cond = append(cond, "(action = "+a+" OR starts_with(action, "+a+" || '.'))")
	}
	if !f.Since.IsZero() {
		cond = append(cond, "at >= "+arg(f.Since.UTC()))
	}
	if !f.Until.IsZero() {
		cond = append(cond, "at < "+arg(f.Until.UTC()))
	}
	if f.Before > 0 {
		cond = append(cond, "id < "+arg(int64(f.Before)))
	}
	q := "SELECT id, at, actor, action, object, outcome, via FROM audit"
	if len(cond) > 0 {
		q += " WHERE " + strings.Join(cond, " AND ")
	}
	q += " ORDER BY id DESC LIMIT " + arg(f.Limit)
	ctx := r.ctx
	rows, err := r.q.Query(ctx, q, args...)
	if err != nil {
		r.fail("the audit trail", err)
		return nil
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.AuditRecord, error) {
		var a store.AuditRecord
		var id int64
		err := r.Scan(&id, &a.At, &a.Actor, &a.Action, &a.Object, &a.Outcome, &a.Via)
		a.ID, a.At = uint64(id), a.At.UTC()
		return a, err
	})
	if err != nil {
		r.fail("the audit trail", err)
	}
	return out
}

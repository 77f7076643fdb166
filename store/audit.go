package store

import (
	"bytes"
	"context"
	"encoding/json"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The audit trail: every action taken in the web console (a sign-in, an
// import, a decision) with who took it and when. Records are appended and
// never changed. They name members by id and the object acted on by kind
// and id or period; they carry no free text (no reason, no message), so
// forgetting a member leaves nothing personal here beyond the id the
// ledger keeps too.
//
// bucketAudit: be64(seq) → JSON AuditRecord.
var bucketAudit = []byte("audit")

// AuditRecord is one action in the console.
type AuditRecord struct {
	ID    uint64    `json:"id"`
	At    time.Time `json:"at"`
	Actor string    `json:"actor"` // member id ("" for a sign-in refused before a member was known)
	// Action names what was done: "sign_in", "sign_out", "import.ratings",
	// "approval.approve", "redemption.fulfil", ...
	Action string `json:"action"`
	// Object is what it was done to: "approval 12", "ratings 2026-10",
	// a file's name and row count. Never free text typed by someone.
	Object string `json:"object,omitempty"`
	// Outcome is "ok", or "refused" for an attempt the console refused.
	Outcome string `json:"outcome"`
	// Via is the platform the actor signed in with (slack, feishu).
	Via string `json:"via,omitempty"`
}

type auditKey struct{}

// WithAudit returns a context whose writes record r in the audit trail:
// Write appends r in the same transaction as the write it makes, when
// that write succeeds and is not a replay, so an action and its record
// are committed together or not at all.
func WithAudit(ctx context.Context, r AuditRecord) context.Context {
	return context.WithValue(ctx, auditKey{}, &r)
}

func auditOf(ctx context.Context) *AuditRecord {
	r, _ := ctx.Value(auditKey{}).(*AuditRecord)
	return r
}

// AuditFrom returns the audit record WithAudit put in ctx, for a store
// implementation to write with the transaction ctx's write makes.
func AuditFrom(ctx context.Context) (AuditRecord, bool) {
	if r := auditOf(ctx); r != nil {
		return *r, true
	}
	return AuditRecord{}, false
}

// Audit appends r to the audit trail, stamped with the transaction's time.
func (tx *Tx) Audit(r AuditRecord) error {
	b := tx.tx.Bucket(bucketAudit)
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	r.ID, r.At = seq, tx.Now()
	if r.Outcome == "" {
		r.Outcome = "ok"
	}
	raw, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return tx.put(bucketAudit, encodeU64(seq), raw)
}

// Audit appends r to the audit trail on its own (for an action that
// writes nothing else: a sign-in, a refusal).
func (s *Store) Audit(ctx context.Context, r AuditRecord) error {
	_, _, err := s.write(ctx, "", func(tx *Tx) ([]byte, error) { return nil, tx.Audit(r) })
	return err
}

// AuditFilter selects audit records; zero fields match everything.
type AuditFilter struct {
	Actor  string
	Action string // a prefix: "import" matches "import.ratings"
	Since  time.Time
	Until  time.Time // exclusive
	Before uint64    // only records with a smaller id (paging); 0 for the newest
	Limit  int       // at most this many; 0 for 100
}

// AuditLog returns the records f selects, newest first.
func (s *Store) AuditLog(f AuditFilter) []AuditRecord {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	var out []AuditRecord
	_ = s.view(func(btx *bolt.Tx) error {
		c := btx.Bucket(bucketAudit).Cursor()
		var k, v []byte
		if f.Before > 0 {
			k, v = c.Seek(encodeU64(f.Before))
			if k == nil {
				k, v = c.Last()
			}
			if k != nil && bytes.Compare(k, encodeU64(f.Before)) >= 0 {
				k, v = c.Prev()
			}
		} else {
			k, v = c.Last()
		}
		for ; k != nil && len(out) < f.Limit; k, v = c.Prev() {
			var r AuditRecord
			if json.Unmarshal(v, &r) != nil {
				continue
			}
			if !f.Since.IsZero() && r.At.Before(f.Since) {
				break // older records are all before Since too
			}
			if !f.Until.IsZero() && !r.At.Before(f.Until) {
				continue
			}
			if f.Actor != "" && r.Actor != f.Actor {
				continue
			}
			if f.Action != "" && r.Action != f.Action && !(len(r.Action) > len(f.Action) && r.Action[:len(f.Action)] == f.Action && r.Action[len(f.Action)] == '.') {
				continue
			}
			out = append(out, r)
		}
		return nil
	})
	return out
}

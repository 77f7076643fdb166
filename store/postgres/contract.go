package postgres

import (
	"context"
	"fmt"

	"jifen/store"
)

var (
	_ store.Ledger = (*Store)(nil)
	_ store.Txn    = (*Tx)(nil)

	_ store.OutboxPacer = (*Store)(nil)
)

// never is a channel that is never closed.
var never = make(chan struct{})

// Err is nil: a failed transaction fails its own write, which is retried
// or returned; nothing stops the store as a whole.
func (s *Store) Err() error { return nil }

// Failed is never closed (see Err).
func (s *Store) Failed() <-chan struct{} { return never }

// ForgetMember removes a member's personal data and keeps the ledger's
// figures, as the bbolt store's ForgetMember does: the member keeps their
// id under a pseudonym, without platform ids, email, level or birthday,
// and leaves today unless they left already; the free text of entries
// they gave or received is cleared; the feedback to them and their
// ratings are deleted, and so are the stored replies (idempotency
// results) that name them, their answers to named survey rounds and
// their answer to each open anonymous round (forgetAnswers). No point
// moves. The tables it changed are rewritten after the commit
// (vacuum.go), so that no dead row keeps what it removed.
func (s *Store) ForgetMember(ctx context.Context, id, pseudonym string) error {
	_, _, err := s.write(ctx, "", func(tx *Tx) ([]byte, error) {
		if err := tx.lockRegistrations(); err != nil {
			return nil, err
		}
		m, ok := tx.Member(id)
		if tx.err != nil {
			return nil, tx.err
		}
		if !ok {
			return nil, fmt.Errorf("no member %q", id)
		}
		if _, err := tx.exec("UPDATE entries SET reason = '' WHERE (receiver = $1 OR giver = $1) AND reason <> ''", id); err != nil {
			return nil, err
		}
		if _, err := tx.exec("DELETE FROM feedback WHERE member = $1", id); err != nil {
			return nil, err
		}
		if _, err := tx.exec("DELETE FROM ratings WHERE member = $1", id); err != nil {
			return nil, err
		}
		if err := tx.forgetAnswers(id); err != nil {
			return nil, err
		}
		if m.Name != "" {
			if _, err := tx.exec("DELETE FROM idempotency WHERE position(convert_to($1, 'UTF8') IN result) > 0", m.Name); err != nil {
				return nil, err
			}
		}
		if err := tx.PutMember(store.Forgotten(m, pseudonym, tx.Now(), s.loc)); err != nil {
			return nil, err
		}
		return nil, tx.vacuumAfter("members", "entries", "feedback", "ratings", "idempotency", "survey_answers")
	})
	return err
}

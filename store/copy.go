package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"jifen"
	"jifen/survey"
)

// Moving a ledger from one store to another (jifen store copy): the source
// passes every record it holds, in a fixed order, to a function (Dumper);
// the target takes them in batches, one transaction each (Loader). Both
// stores pass the same records in the same order, so that a copy can be
// compared with its source record by record.
//
// Derived figures (aggregates, per-behavior use, stock, the receiver
// index) are not records: the target computes them from the entries as it
// takes them, and Verify checks them afterwards.

// Record is one thing a ledger holds. Exactly one field is set.
type Record struct {
	Key         *KeyRecord
	Catalog     *CatalogVersion
	Member      *jifen.Member
	Entry       *jifen.Entry
	Approval    *Approval
	Redemption  *Redemption
	Round       *survey.Round
	Answer      *AnswerRecord
	Rating      *jifen.Rating
	KPI         *jifen.KPI
	Feedback    *FeedbackRecord
	Idempotency *IdempotencyRecord
	Run         *RunRecord
	Outgoing    *Outgoing
	Audit       *AuditRecord
	Sequence    *SequenceRecord
}

// RecordKinds names the kinds of record in the order Dump passes them.
var RecordKinds = []string{"key", "catalog", "member", "entry", "approval", "redemption", "round", "answer",
	"rating", "kpi", "feedback", "idempotency", "run", "outbox", "audit", "sequence"}

// Kind names the record's kind (one of RecordKinds).
func (r Record) Kind() string {
	switch {
	case r.Key != nil:
		return "key"
	case r.Catalog != nil:
		return "catalog"
	case r.Member != nil:
		return "member"
	case r.Entry != nil:
		return "entry"
	case r.Approval != nil:
		return "approval"
	case r.Redemption != nil:
		return "redemption"
	case r.Round != nil:
		return "round"
	case r.Answer != nil:
		return "answer"
	case r.Rating != nil:
		return "rating"
	case r.KPI != nil:
		return "kpi"
	case r.Feedback != nil:
		return "feedback"
	case r.Idempotency != nil:
		return "idempotency"
	case r.Run != nil:
		return "run"
	case r.Outgoing != nil:
		return "outbox"
	case r.Audit != nil:
		return "audit"
	case r.Sequence != nil:
		return "sequence"
	}
	return ""
}

// KeyRecord is a key kept in the store (the link key, the session key).
type KeyRecord struct {
	Name string `json:"name"`
	Key  []byte `json:"key"`
}

// AnswerRecord is one survey answer under the key the store files it by:
// the member's id for a named round, a random key for an anonymous one.
type AnswerRecord struct {
	Survey     string        `json:"survey"`
	N          int           `json:"n"`
	Respondent string        `json:"respondent"`
	Answer     survey.Answer `json:"answer"`
}

// FeedbackRecord is a manager's feedback with its number in the store.
type FeedbackRecord struct {
	Seq uint64 `json:"seq"`
	Feedback
}

// IdempotencyRecord is a request key with its first result, remembered
// until Expires.
type IdempotencyRecord struct {
	Key     string    `json:"key"`
	At      time.Time `json:"at"`
	Expires time.Time `json:"expires"`
	Result  []byte    `json:"result"`
}

// RunRecord is what the scheduler keeps of a job: the fire time of its
// last claimed run and when it first saw it (either may be zero).
type RunRecord struct {
	Name      string    `json:"name"`
	LastFire  time.Time `json:"last_fire,omitzero"`
	FirstSeen time.Time `json:"first_seen,omitzero"`
}

// SequenceRecord is the last number a kind of record was given (entries,
// approvals, redemptions, outbox, audit, feedback), for a kind that has
// given one: a copy goes on numbering after it, so that no number is
// given twice (an outbox message's default key is made from its number).
type SequenceRecord struct {
	Name string `json:"name"`
	Last uint64 `json:"last"`
}

// SequenceNames are the numbered kinds a SequenceRecord names.
var SequenceNames = []string{"entries", "approvals", "redemptions", "outbox", "audit", "feedback"}

// Dumper passes every record of a store.
type Dumper interface {
	// CheckDump says why the store cannot be copied as it is now (an
	// anonymous survey round is open), or nil.
	CheckDump(ctx context.Context) error
	// Dump passes every record to fn, kind by kind in the order of
	// RecordKinds and in a fixed order within a kind; an error from fn
	// stops it and is returned.
	Dump(ctx context.Context, fn func(Record) error) error
}

// Loader takes the records of another store into an empty one.
type Loader interface {
	// BeginLoad checks the store is empty and marks it as the target of a
	// copy from what (no password in it) until FinishLoad: a store with
	// the mark is not empty, and a later BeginLoad refuses it with
	// ErrUnfinishedCopy. A store that holds anything else is refused with
	// *NotEmptyError.
	BeginLoad(ctx context.Context, what string) error
	// Load takes a batch of records, in Dump's order, in one transaction.
	Load(ctx context.Context, batch []Record) error
	// FinishLoad removes the mark.
	FinishLoad(ctx context.Context) error
	// RaisesRecordingTimes reports whether the store keeps recording
	// times that never decrease with the entry id across the whole
	// ledger (bbolt), so that an entry recorded before the one before it
	// (possible on PostgreSQL, where replicas append concurrently) is
	// recorded at that one's time instead.
	RaisesRecordingTimes() bool
}

// NotEmptyError refuses a copy into a store that holds something.
type NotEmptyError struct{ What string }

func (e *NotEmptyError) Error() string {
	return "the target store is not empty (it holds " + e.What + "): a copy goes only into an empty store"
}

// UnfinishedCopy is the mark BeginLoad leaves until FinishLoad.
type UnfinishedCopy struct {
	From    string    `json:"from"`
	Started time.Time `json:"started"`
}

// ErrUnfinishedCopy refuses a copy into a store that holds a copy that did
// not finish.
type ErrUnfinishedCopy struct{ UnfinishedCopy }

func (e *ErrUnfinishedCopy) Error() string {
	return fmt.Sprintf("the store holds a copy from %s that did not finish (started %s): empty it (remove the bbolt file, or drop and create the PostgreSQL database) and copy again",
		e.From, e.Started.Format(time.RFC3339))
}

// ErrOpenAnonymousRound refuses a copy while an anonymous survey round is
// open: its answers are filed under keys that only this process links to
// their members, so they cannot be carried over.
type ErrOpenAnonymousRound struct {
	Round  string    // its id (survey-n)
	Survey string    // the survey's id
	Closes time.Time // when it closes by itself
}

func (e *ErrOpenAnonymousRound) Error() string {
	return fmt.Sprintf("the anonymous survey round %s is open: its answers cannot be carried over without linking them to their members; close it first (/survey close %s; jifen serve's scheduler closes it at its closing time, %s) and copy again",
		e.Round, e.Survey, e.Closes.UTC().Format(time.RFC3339))
}

func openAnonymous(r *survey.Round) error {
	return &ErrOpenAnonymousRound{Round: r.ID(), Survey: r.Survey, Closes: r.Closes}
}

var metaCopy = []byte("copy_unfinished")

// CheckDump refuses a copy from a store that holds an unfinished copy,
// and while an anonymous survey round is open.
func (s *Store) CheckDump(ctx context.Context) error {
	var mark []byte
	_ = s.view(func(btx *bolt.Tx) error {
		mark = bytes.Clone(btx.Bucket(bucketMeta).Get(metaCopy))
		return nil
	})
	if mark != nil {
		var u UnfinishedCopy
		_ = json.Unmarshal(mark, &u)
		return &ErrUnfinishedCopy{u}
	}
	return s.checkRounds(ctx)
}

// checkRounds refuses a copy while an anonymous survey round is open.
func (s *Store) checkRounds(ctx context.Context) error {
	for _, r := range s.Rounds("") {
		if r.Anonymous && r.Closed.IsZero() {
			return openAnonymous(&r)
		}
	}
	return ctx.Err()
}

// Dump passes every record of the store (Dumper). It reads through the
// store's decoded accessors; the entries come from ForEachEntry.
func (s *Store) Dump(ctx context.Context, fn func(Record) error) error {
	// Not CheckDump: a copy dumps its target, marked still, to compare.
	if err := s.checkRounds(ctx); err != nil {
		return err
	}
	// each runs fn on every decoded value of a bucket, in key order.
	each := func(bucket []byte, dec func(btx *bolt.Tx, k, v []byte) (Record, error)) error {
		return s.view(func(btx *bolt.Tx) error {
			n := 0
			return btx.Bucket(bucket).ForEach(func(k, v []byte) error {
				if n++; n%1000 == 0 {
					if err := ctx.Err(); err != nil {
						return err
					}
				}
				r, err := dec(btx, k, v)
				if err != nil {
					return fmt.Errorf("%s %s: %w", bucket, printable(k), err)
				}
				if r.Kind() == "" {
					return nil
				}
				return fn(r)
			})
		})
	}
	// Keys.
	var keys []Record
	_ = s.view(func(btx *bolt.Tx) error {
		for _, name := range [][]byte{linkKeyName, sessionKeyName} {
			if k := btx.Bucket(bucketMeta).Get(name); k != nil {
				keys = append(keys, Record{Key: &KeyRecord{Name: string(name), Key: bytes.Clone(k)}})
			}
		}
		return nil
	})
	for _, r := range keys {
		if err := fn(r); err != nil {
			return err
		}
	}
	steps := []func() error{
		func() error {
			return each(bucketCatalogs, func(_ *bolt.Tx, _, v []byte) (Record, error) {
				var cv CatalogVersion
				return Record{Catalog: &cv}, json.Unmarshal(v, &cv)
			})
		},
		func() error {
			return each(bucketMembers, func(_ *bolt.Tx, _, v []byte) (Record, error) {
				var m jifen.Member
				return Record{Member: &m}, json.Unmarshal(v, &m)
			})
		},
		func() error {
			n := 0
			return s.ForEachEntry(func(e *jifen.Entry) error {
				if n++; n%1000 == 0 {
					if err := ctx.Err(); err != nil {
						return err
					}
				}
				c := *e
				return fn(Record{Entry: &c})
			})
		},
		func() error {
			return each(bucketApprovals, func(btx *bolt.Tx, k, _ []byte) (Record, error) {
				a, ok := getApproval(btx, decodeU64(k))
				if !ok {
					return Record{}, errors.New("cannot decode")
				}
				return Record{Approval: &a}, nil
			})
		},
		func() error {
			return each(bucketRedemptions, func(btx *bolt.Tx, k, _ []byte) (Record, error) {
				r, ok := getRedemption(btx, decodeU64(k))
				if !ok {
					return Record{}, errors.New("cannot decode")
				}
				return Record{Redemption: &r}, nil
			})
		},
		func() error {
			return each(bucketRounds, func(_ *bolt.Tx, _, v []byte) (Record, error) {
				var r survey.Round
				return Record{Round: &r}, json.Unmarshal(v, &r)
			})
		},
		func() error {
			return each(bucketAnswers, func(_ *bolt.Tx, k, v []byte) (Record, error) {
				i := bytes.IndexByte(k, 0)
				if i < 0 || len(k) < i+6 || k[i+5] != 0 {
					return Record{}, errors.New("malformed key")
				}
				a := AnswerRecord{Survey: string(k[:i]), N: int(binary.BigEndian.Uint32(k[i+1:])), Respondent: string(k[i+6:])}
				return Record{Answer: &a}, json.Unmarshal(v, &a.Answer)
			})
		},
		func() error {
			for _, r := range s.AllRatings() {
				if err := fn(Record{Rating: &r}); err != nil {
					return err
				}
			}
			return nil
		},
		func() error {
			for _, k := range s.AllKPIs() {
				if err := fn(Record{KPI: &k}); err != nil {
					return err
				}
			}
			return nil
		},
		func() error {
			return each(bucketFeedback, func(_ *bolt.Tx, k, v []byte) (Record, error) {
				if len(k) < 9 {
					return Record{}, errors.New("malformed key")
				}
				f := FeedbackRecord{Seq: decodeU64(k[len(k)-8:])}
				return Record{Feedback: &f}, json.Unmarshal(v, &f.Feedback)
			})
		},
		func() error {
			return each(bucketIdem, func(_ *bolt.Tx, k, v []byte) (Record, error) {
				if len(v) < 8 {
					return Record{}, errors.New("malformed record")
				}
				at := time.UnixMilli(int64(decodeU64(v[:8]))).UTC()
				return Record{Idempotency: &IdempotencyRecord{Key: string(k), At: at, Expires: at.Add(s.ttl), Result: bytes.Clone(v[8:])}}, nil
			})
		},
		func() error {
			runs := map[string]*RunRecord{}
			_ = s.view(func(btx *bolt.Tx) error {
				return btx.Bucket(bucketRuns).ForEach(func(k, v []byte) error {
					name, first := string(k), false
					if n, ok := bytes.CutPrefix(k, []byte("first_seen\x00")); ok {
						name, first = string(n), true
					}
					r := runs[name]
					if r == nil {
						r = &RunRecord{Name: name}
						runs[name] = r
					}
					if ms := decodeU64(v); ms != 0 {
						if first {
							r.FirstSeen = time.UnixMilli(int64(ms)).UTC()
						} else {
							r.LastFire = time.UnixMilli(int64(ms)).UTC()
						}
					}
					return nil
				})
			})
			names := make([]string, 0, len(runs))
			for n := range runs {
				names = append(names, n)
			}
			slices.Sort(names)
			for _, n := range names {
				if err := fn(Record{Run: runs[n]}); err != nil {
					return err
				}
			}
			return nil
		},
		func() error {
			return each(bucketOutbox, func(_ *bolt.Tx, _, v []byte) (Record, error) {
				var o Outgoing
				return Record{Outgoing: &o}, json.Unmarshal(v, &o)
			})
		},
		func() error {
			return each(bucketAudit, func(_ *bolt.Tx, _, v []byte) (Record, error) {
				var a AuditRecord
				return Record{Audit: &a}, json.Unmarshal(v, &a)
			})
		},
		func() error {
			var seqs []Record
			_ = s.view(func(btx *bolt.Tx) error {
				for _, name := range SequenceNames {
					if last := btx.Bucket(sequenceBucket(name)).Sequence(); last > 0 {
						seqs = append(seqs, Record{Sequence: &SequenceRecord{Name: name, Last: last}})
					}
				}
				return nil
			})
			for _, r := range seqs {
				if err := fn(r); err != nil {
					return err
				}
			}
			return nil
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

func sequenceBucket(name string) []byte {
	switch name {
	case "entries":
		return bucketEntries
	case "approvals":
		return bucketApprovals
	case "redemptions":
		return bucketRedemptions
	case "outbox":
		return bucketOutbox
	case "audit":
		return bucketAudit
	case "feedback":
		return bucketFeedback
	}
	return nil
}

// BeginLoad checks the store is empty and marks it (Loader).
func (s *Store) BeginLoad(ctx context.Context, what string) error {
	_, _, err := s.write(ctx, "", func(tx *Tx) ([]byte, error) {
		meta := tx.tx.Bucket(bucketMeta)
		if raw := meta.Get(metaCopy); raw != nil {
			var u UnfinishedCopy
			_ = json.Unmarshal(raw, &u)
			return nil, &ErrUnfinishedCopy{u}
		}
		// The meta bucket holds what Open writes (the schema, the zone,
		// marks of its own work); of it only the keys are content.
		for _, b := range allBuckets {
			if bytes.Equal(b, bucketMeta) {
				continue
			}
			if k, _ := tx.tx.Bucket(b).Cursor().First(); k != nil {
				return nil, &NotEmptyError{What: fmt.Sprintf("%s records", b)}
			}
		}
		for _, k := range [][]byte{linkKeyName, sessionKeyName} {
			if meta.Get(k) != nil {
				return nil, &NotEmptyError{What: "keys"}
			}
		}
		raw, err := json.Marshal(UnfinishedCopy{From: what, Started: tx.now})
		if err != nil {
			return nil, err
		}
		return nil, tx.put(bucketMeta, metaCopy, raw)
	})
	return err
}

// FinishLoad removes the mark BeginLoad left (Loader).
func (s *Store) FinishLoad(ctx context.Context) error {
	_, _, err := s.write(ctx, "", func(tx *Tx) ([]byte, error) {
		tx.writes++
		return nil, tx.tx.Bucket(bucketMeta).Delete(metaCopy)
	})
	if err != nil {
		return err
	}
	return s.Sync()
}

// RaisesRecordingTimes is true: the bbolt store's recording times never
// decrease with the id (see Tx.Append).
func (s *Store) RaisesRecordingTimes() bool { return true }

// Load takes a batch of records in one transaction (Loader). Entries are
// appended with their own ids, through Append, which computes their
// figures and stock; every other record is written as it is.
func (s *Store) Load(ctx context.Context, batch []Record) error {
	_, _, err := s.write(ctx, "", func(tx *Tx) ([]byte, error) {
		for _, r := range batch {
			if err := tx.load(r); err != nil {
				return nil, fmt.Errorf("load %s: %w", r.Kind(), err)
			}
		}
		return nil, nil
	})
	return err
}

// bumpSequence makes sure the bucket numbers its next record after id.
func (tx *Tx) bumpSequence(bucket []byte, id uint64) error {
	b := tx.tx.Bucket(bucket)
	if b.Sequence() < id {
		return b.SetSequence(id)
	}
	return nil
}

func (tx *Tx) load(r Record) error {
	switch {
	case r.Key != nil:
		name := []byte(r.Key.Name)
		if !bytes.Equal(name, linkKeyName) && !bytes.Equal(name, sessionKeyName) {
			return fmt.Errorf("the key %q has no place in a bbolt store", r.Key.Name)
		}
		return tx.put(bucketMeta, name, r.Key.Key)
	case r.Catalog != nil:
		cv := *r.Catalog
		raw, err := json.Marshal(cv)
		if err != nil {
			return err
		}
		vk := binary.BigEndian.AppendUint32(nil, uint32(cv.Version))
		if err := tx.put(bucketCatalogs, vk, raw); err != nil {
			return err
		}
		if err := tx.put(bucketMeta, []byte("catalog\x00"+cv.Fingerprint), vk); err != nil {
			return err
		}
		return tx.bumpSequence(bucketCatalogs, uint64(cv.Version))
	case r.Member != nil:
		return tx.PutMember(*r.Member)
	case r.Entry != nil:
		return tx.loadEntry(*r.Entry)
	case r.Approval != nil:
		a := *r.Approval
		if err := tx.saveApproval(&a); err != nil {
			return err
		}
		return tx.bumpSequence(bucketApprovals, a.ID)
	case r.Redemption != nil:
		x := *r.Redemption
		if err := tx.PutRedemption(&x); err != nil {
			return err
		}
		return tx.bumpSequence(bucketRedemptions, x.ID)
	case r.Round != nil:
		if r.Round.Anonymous && r.Round.Closed.IsZero() {
			return openAnonymous(r.Round)
		}
		return tx.PutRound(r.Round)
	case r.Answer != nil:
		a := r.Answer
		if a.Respondent == "" {
			return errors.New("an answer without a respondent")
		}
		return tx.putJSON(bucketAnswers, append(append(roundKey(a.Survey, a.N), 0), a.Respondent...), a.Answer)
	case r.Rating != nil:
		return tx.PutRating(*r.Rating)
	case r.KPI != nil:
		return tx.PutKPI(*r.KPI)
	case r.Feedback != nil:
		f := r.Feedback
		if err := tx.putJSON(bucketFeedback, append(prefix(f.Member), encodeU64(f.Seq)...), f.Feedback); err != nil {
			return err
		}
		return tx.bumpSequence(bucketFeedback, f.Seq)
	case r.Idempotency != nil:
		k := r.Idempotency
		// Recorded so that it expires when it did in the source.
		tx.writes++
		return idemPut(tx.tx, k.Key, k.Expires.Add(-tx.s.ttl), k.Result)
	case r.Run != nil:
		if !r.Run.LastFire.IsZero() {
			if err := tx.put(bucketRuns, []byte(r.Run.Name), encodeU64(uint64(r.Run.LastFire.UnixMilli()))); err != nil {
				return err
			}
		}
		if !r.Run.FirstSeen.IsZero() {
			return tx.put(bucketRuns, []byte("first_seen\x00"+r.Run.Name), encodeU64(uint64(r.Run.FirstSeen.UnixMilli())))
		}
		return nil
	case r.Outgoing != nil:
		o := *r.Outgoing
		if o.Platform == "" || o.ID == 0 {
			return errors.New("an outbox message without a platform or an id")
		}
		if err := tx.putJSON(bucketOutbox, outboxKey(o.Platform, o.ID), o); err != nil {
			return err
		}
		return tx.bumpSequence(bucketOutbox, o.ID)
	case r.Audit != nil:
		if err := tx.putJSON(bucketAudit, encodeU64(r.Audit.ID), r.Audit); err != nil {
			return err
		}
		return tx.bumpSequence(bucketAudit, r.Audit.ID)
	case r.Sequence != nil:
		b := sequenceBucket(r.Sequence.Name)
		if b == nil {
			return fmt.Errorf("no sequence %q", r.Sequence.Name)
		}
		return tx.bumpSequence(b, r.Sequence.Last)
	}
	return errors.New("an empty record")
}

// loadEntry appends e with its own id through Append. Ids must come in
// increasing order. An entry recorded before the entry before it is
// recorded at that one's time (see Loader.RaisesRecordingTimes); anything
// else Append would change refuses the entry.
func (tx *Tx) loadEntry(e jifen.Entry) error {
	entries := tx.tx.Bucket(bucketEntries)
	if e.ID == 0 || e.ID <= entries.Sequence() {
		return fmt.Errorf("entry %d: ids must increase (last %d)", e.ID, entries.Sequence())
	}
	if err := entries.SetSequence(e.ID - 1); err != nil {
		return err
	}
	want := e
	if last := tx.lastRecorded(); want.At.Before(last) {
		want.At = last
	}
	// Append raises an earlier recording time to the batch time; the
	// copy raises it only as far as the entry before it.
	tx.lastAt, tx.lastAtRead = time.Time{}, true
	got := want
	id, err := tx.Append(&got)
	if err != nil {
		return fmt.Errorf("entry %d: %w", e.ID, err)
	}
	want.At, want.Effective = want.At.UTC(), want.Effective.UTC()
	if id != e.ID || !sameEntry(got, want) {
		return fmt.Errorf("entry %d would not be copied as it is", e.ID)
	}
	return nil
}

func sameEntry(a, b jifen.Entry) bool {
	return a.ID == b.ID && a.Kind == b.Kind && a.At.Equal(b.At) && a.Effective.Equal(b.Effective) &&
		a.Giver == b.Giver && a.Receiver == b.Receiver && a.Points == b.Points && a.Category == b.Category &&
		a.Behavior == b.Behavior && a.Reason == b.Reason && a.RuleVersion == b.RuleVersion &&
		a.Reverses == b.Reverses && a.Approval == b.Approval && a.Source == b.Source && a.Quantity == b.Quantity
}

// FileZone is the time zone a bbolt store's figures are computed in ("" for
// a file without one), read without opening the store for writing: a
// store opened in another zone rebuilds its figures.
func FileZone(path string) (string, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return "", ErrLocked
		}
		return "", fmt.Errorf("open store %s: %w", path, err)
	}
	defer db.Close()
	var zone string
	err = db.View(func(btx *bolt.Tx) error {
		if b := btx.Bucket(bucketMeta); b != nil {
			zone = string(b.Get([]byte("zone")))
		}
		return nil
	})
	return zone, err
}

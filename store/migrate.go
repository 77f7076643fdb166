package store

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"jifen"
	"jifen/survey"
)

// migrateAnonymousRounds brings the anonymous survey rounds of a schema 1
// file to schema 2. Schema 1 kept an open round's salt in the round
// record and stored each answer under HMAC(salt, member), and each answer
// kept its respondent's department and level whatever their group's size.
// Now: the round counts its audience by department and level (from the
// members' records, the best left of the audience at its start); every
// answer keeps only the attributes of a large enough group; an open
// round's answers move to random keys, whose links to the members are
// kept in memory only (so they can still be changed until a restart), and
// survey_answered lists who answered; the salt is dropped, and the file is
// scrubbed before anything else, so the old record is gone too.
func (s *Store) migrateAnonymousRounds(btx *bolt.Tx) error {
	rounds := btx.Bucket(bucketRounds)
	answers := btx.Bucket(bucketAnswers)
	members := btx.Bucket(bucketMembers)
	var keys [][]byte
	_ = rounds.ForEach(func(k, _ []byte) error {
		keys = append(keys, bytes.Clone(k))
		return nil
	})
	for _, rk := range keys {
		raw := rounds.Get(rk)
		var r survey.Round
		var old struct {
			Salt []byte `json:"salt"`
		}
		if json.Unmarshal(raw, &r) != nil || json.Unmarshal(raw, &old) != nil || !r.Anonymous {
			continue
		}
		var audience []jifen.Member
		for _, id := range r.Audience {
			var m jifen.Member
			if v := members.Get([]byte(id)); v == nil || json.Unmarshal(v, &m) != nil {
				m = jifen.Member{ID: id}
			}
			audience = append(audience, m)
		}
		if len(r.Groups) == 0 {
			r.SetAudience(audience)
		}
		pre := append(bytes.Clone(rk), 0)
		// Who answered an open round, found by their old tokens.
		byToken := map[string]string{}
		if len(old.Salt) > 0 && r.Closed.IsZero() {
			for _, m := range audience {
				mac := hmac.New(sha256.New, old.Salt)
				mac.Write([]byte(m.ID))
				byToken[hex.EncodeToString(mac.Sum(nil)[:16])] = m.ID
			}
		}
		var kvs [][2][]byte
		c := answers.Cursor()
		for k, v := c.Seek(pre); k != nil && bytes.HasPrefix(k, pre); k, v = c.Next() {
			kvs = append(kvs, [2][]byte{bytes.Clone(k), bytes.Clone(v)})
		}
		for _, kv := range kvs {
			var a survey.Answer
			if json.Unmarshal(kv[1], &a) != nil {
				continue
			}
			a.Department, a.Level = r.Attributes(jifen.Member{Department: a.Department, Level: a.Level})
			v, err := json.Marshal(a)
			if err != nil {
				return err
			}
			key := kv[0]
			if member, ok := byToken[string(kv[0][len(pre):])]; ok {
				b := make([]byte, 16)
				if _, err := rand.Read(b); err != nil {
					return err
				}
				respondent := hex.EncodeToString(b)
				key = append(bytes.Clone(pre), respondent...)
				if err := answers.Delete(kv[0]); err != nil {
					return err
				}
				if err := btx.Bucket(bucketAnswered).Put(append(bytes.Clone(pre), member...), nil); err != nil {
					return err
				}
				s.links.set(rk, member, respondent)
			}
			if err := answers.Put(key, v); err != nil {
				return err
			}
		}
		v, err := json.Marshal(r)
		if err != nil {
			return err
		}
		if err := rounds.Put(rk, v); err != nil {
			return err
		}
	}
	return btx.Bucket(bucketMeta).Put(metaScrub, []byte{1})
}

// rcvMigrationChunk is how many receiver index records one transaction of
// the schema 3 migration rewrites: enough that the commits cost little,
// few enough that a transaction's dirty pages stay a few megabytes.
var rcvMigrationChunk = 50_000

// metaRcvMigrated is there while the schema 3 migration runs: the last
// receiver index key it has rewritten (at first \x00, before every key).
var metaRcvMigrated = []byte("rcv_migrated")

// migrateReceiverIndex finishes bringing a schema 2 file to schema 3 (the
// version is set and the mark put by migrate, in one transaction): every
// receiver index record is rewritten in the second layout (see
// rcvLayout2), which adds the entry's giver and the id a revoke reverses,
// so that a replay of the ledger (jifen rules simulate) reads the index
// rather than decoding every entry.
//
// Both passes read the file in order, so that a file not in the page
// cache is read sequentially: looking each entry up from the index, in
// member order, reads the entries at random (minutes for two million of
// them on a cold file). The first reads every entry's giver and reversed
// id, 4 bytes an entry and a string per giver; the second walks the index
// in key order, rcvMigrationChunk records to a transaction, so that each
// transaction rewrites pages of its own. The other fields come from the
// first-layout record, which Verify has always compared with the entry:
// a record that was wrong stays wrong, and Verify still reports it.
//
// The mark keeps the last key rewritten: a migration a crash interrupted
// resumes after it on the next Open (the records before it are in the
// second layout, those after in the first, and decodeRcv reads both). The
// last transaction drops the mark.
func (s *Store) migrateReceiverIndex() error {
	start := time.Now()
	s.log.Info("store: rewriting the receiver index for schema 3; a large ledger takes a while")
	var g *entryGivers
	err := s.db.View(func(btx *bolt.Tx) error {
		release := s.releaser(btx, 50_000)
		defer release(true)
		var err error
		g, err = readEntryGivers(btx, func() { release(false) })
		return err
	})
	if err != nil {
		return fmt.Errorf("schema 3 migration: %w", err)
	}
	n := 0
	for {
		var done bool
		err := s.db.Update(func(btx *bolt.Tx) error {
			var (
				k   int
				err error
			)
			k, done, err = migrateRcvChunk(btx, g, rcvMigrationChunk)
			n += k
			return err
		})
		if err != nil {
			return fmt.Errorf("schema 3 migration: %w", err)
		}
		// The pages read stay in the page cache; the process need not
		// hold them (see ReleaseMemory).
		s.ReleaseMemory()
		if done {
			break
		}
	}
	s.log.Info("store: receiver index rewritten", "records", n, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// entryGivers is what the schema 3 migration reads of the entries.
type entryGivers struct {
	giver    []int32 // by entry id: an index into names; -1 no such entry
	names    []string
	reverses map[uint64]uint64 // revoke id → reversed id
}

// readEntryGivers reads every entry, calling each after each.
func readEntryGivers(btx *bolt.Tx, each func()) (*entryGivers, error) {
	entries := btx.Bucket(bucketEntries)
	last, _ := entries.Cursor().Last()
	g := &entryGivers{giver: make([]int32, decodeU64(last)+1), reverses: map[uint64]uint64{}}
	for i := range g.giver {
		g.giver[i] = -1
	}
	index := map[string]int32{}
	err := entries.ForEach(func(k, v []byte) error {
		each()
		var e jifen.Entry
		id := decodeU64(k)
		if decodeEntry(v, &e) != nil || id >= uint64(len(g.giver)) {
			return nil // Verify reports the entry
		}
		i, ok := index[e.Giver]
		if !ok {
			i = int32(len(g.names))
			g.names = append(g.names, e.Giver)
			index[e.Giver] = i
		}
		g.giver[id] = i
		if e.Reverses != 0 {
			g.reverses[id] = e.Reverses
		}
		return nil
	})
	return g, err
}

// migrateRcvChunk rewrites the next n receiver index records after the
// mark, and drops the mark after the last. A record that does not decode,
// or whose entry is missing, is left as it is, for Verify to report.
func migrateRcvChunk(btx *bolt.Tx, g *entryGivers, n int) (rewritten int, done bool, err error) {
	meta := btx.Bucket(bucketMeta)
	mark := meta.Get(metaRcvMigrated)
	if mark == nil {
		return 0, true, nil
	}
	c := btx.Bucket(bucketAgg).Cursor()
	k, v := c.Seek(mark)
	if bytes.Equal(k, mark) {
		k, v = c.Next()
	}
	// Collect first, then write: a cursor is not to be moved over a
	// bucket being written.
	in := interned{}
	var kvs [][2][]byte
	for ; k != nil && len(kvs) < n; k, v = c.Next() {
		if !isRcvKey(k) {
			continue
		}
		id := decodeU64(k[bytes.IndexByte(k, 0)+2:])
		r, ok := decodeRcvIn(v, in)
		if !ok || id >= uint64(len(g.giver)) || g.giver[id] < 0 {
			continue
		}
		e := jifen.Entry{Kind: r.kind, At: r.at, Effective: r.effective, Giver: g.names[g.giver[id]], Points: r.points,
			Quantity: r.quantity, Category: r.category, Behavior: r.behavior, Reverses: g.reverses[id]}
		kvs = append(kvs, [2][]byte{bytes.Clone(k), encodeRcv(&e)})
	}
	agg := btx.Bucket(bucketAgg)
	for _, kv := range kvs {
		if err := agg.Put(kv[0], kv[1]); err != nil {
			return 0, false, err
		}
	}
	if k != nil {
		return len(kvs), false, meta.Put(metaRcvMigrated, kvs[len(kvs)-1][0])
	}
	return len(kvs), true, meta.Delete(metaRcvMigrated)
}

// metaAggMigrate is there while the schema 4 migration runs: the
// aggregates are still in the layout of schema 3.
var metaAggMigrate = []byte("agg_migrate")

// migratePeriodRecords finishes bringing a file to schema 4 (the version
// is set and the mark put by migrate, in one transaction): schema 3 kept
// a member's earned points in the member's record of each year, beside
// what they gave and spent; schema 4 keeps them in one record per period
// and member, keyed by the period first (see aggregate.go). Every
// aggregate is recomputed from the entries and written in the new layout
// in one transaction, then the mark is dropped: a migration a crash
// interrupted runs again whole on the next Open.
func (s *Store) migratePeriodRecords() error {
	start := time.Now()
	s.log.Info("store: regrouping the aggregates by period for schema 4; a large ledger takes a while")
	if err := s.rebuildAggregates(); err != nil {
		return fmt.Errorf("schema 4 migration: %w", err)
	}
	err := s.db.Update(func(btx *bolt.Tx) error { return btx.Bucket(bucketMeta).Delete(metaAggMigrate) })
	if err != nil {
		return fmt.Errorf("schema 4 migration: %w", err)
	}
	s.ReleaseMemory()
	s.log.Info("store: aggregates regrouped", "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// metaEntriesMigrated is there while the schema 4 rewrite of the entries
// runs: the key of the last entry rewritten (at first 0, before every key).
var metaEntriesMigrated = []byte("entries_migrated")

// entryMigrationChunk is how many entries one transaction of the schema 4
// rewrite rewrites.
var entryMigrationChunk = 50_000

// migrateEntries rewrites every entry stored as JSON (schema 3 and
// earlier) in the binary layout (see encodeEntry), in id order,
// entryMigrationChunk entries to a transaction; the mark keeps the last
// one rewritten, so a rewrite a crash cut short resumes after it (decode
// reads both layouts meanwhile). The last transaction drops the mark. An
// entry that does not decode is left as it is, for Verify to report. The
// file keeps its size (bbolt reuses the freed pages for later writes); a
// backup is a compact copy.
func (s *Store) migrateEntries() error {
	start := time.Now()
	s.log.Info("store: rewriting the entries in the compact layout of schema 4; a large ledger takes a while")
	n := 0
	for done := false; !done; {
		err := s.db.Update(func(btx *bolt.Tx) error {
			meta := btx.Bucket(bucketMeta)
			mark := meta.Get(metaEntriesMigrated)
			if mark == nil {
				done = true
				return nil
			}
			entries := btx.Bucket(bucketEntries)
			entries.FillPercent = appendFill
			c := entries.Cursor()
			k, v := c.Seek(mark)
			if bytes.Equal(k, mark) {
				k, v = c.Next()
			}
			var kvs [][2][]byte
			var last []byte
			for i := 0; k != nil && i < entryMigrationChunk; k, v = c.Next() {
				i++
				last = k
				var e jifen.Entry
				if len(v) == 0 || v[0] == entryLayout || decodeEntry(v, &e) != nil {
					continue
				}
				kvs = append(kvs, [2][]byte{bytes.Clone(k), encodeEntry(&e)})
			}
			last = bytes.Clone(last) // before the writes, which may move the page it is on
			for _, kv := range kvs {
				if err := entries.Put(kv[0], kv[1]); err != nil {
					return err
				}
			}
			n += len(kvs)
			if k == nil {
				done = true
				return meta.Delete(metaEntriesMigrated)
			}
			return meta.Put(metaEntriesMigrated, last)
		})
		if err != nil {
			return fmt.Errorf("schema 4 migration: %w", err)
		}
		s.ReleaseMemory()
	}
	s.log.Info("store: entries rewritten", "entries", n, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

package store

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
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

// metaAggMigrate is there while the aggregates are being recomputed
// from the entries (the schema 4 migration, or a change of time zone):
// at first any short value (the old records are still to be dropped),
// then aggFromEntries and the id of the last entry whose effects are in
// the new records.
var metaAggMigrate = []byte("agg_migrate")

// aggFromEntries opens the second value of metaAggMigrate.
const aggFromEntries = 'e'

// aggRebuildChunk is how many records one transaction of the rebuild
// drops, and how many entries one transaction adds to the records: the
// memory a transaction takes is bounded by it (and by the records it
// rewrites, at most one per member and period), not by the ledger.
var aggRebuildChunk = 50_000

// aggRebuildRecords is how many records one transaction of the rebuild
// rewrites at most: it ends its chunk of entries early when their effects
// reach that many records (a ledger of many members, each with few
// entries), as the memory of a transaction grows with the records (and
// the pages) it rewrites.
var aggRebuildRecords = 40_000

// aggRebuildStep, when set (by tests), runs after each committed
// transaction of the rebuild but the last; an error stops the rebuild
// there, as a crash would.
var aggRebuildStep func(*bolt.DB) error

// rebuildAggregates recomputes every aggregate from the entries (schema 4
// records carry the length of each figure, see record.encode; and a new
// time zone moves entries between periods). migrate puts the mark in the transaction that
// calls for the rebuild. The rebuild runs in transactions of
// aggRebuildChunk records or entries, each followed by its progress in
// the mark, so that neither its memory nor a crash depends on the size of
// the ledger:
//
//  1. the records are dropped (the receiver index in the same bucket
//     stays), aggRebuildChunk to a transaction, until none is left; then
//     the mark says aggFromEntries and entry 0;
//  2. the entries are read in id order, aggRebuildChunk to a transaction
//     (fewer when their effects reach aggRebuildRecords records),
//     and their effects (the very ones a commit adds, see effects) are
//     added to the records; the mark keeps the last entry read, so a
//     rebuild a crash cut short resumes after it. The last transaction
//     drops the mark.
//
// An entry that Verify reports (it does not decode, or it reverses an
// unknown or later entry) adds nothing, as in Verify's recomputation.
func (s *Store) rebuildAggregates() error {
	start := time.Now()
	s.log.Info("store: recomputing the aggregates from the entries; a large ledger takes a while")
	dropped, added := 0, 0
	for done := false; !done; {
		err := s.db.Update(func(btx *bolt.Tx) error {
			meta := btx.Bucket(bucketMeta)
			mark := meta.Get(metaAggMigrate)
			switch {
			case mark == nil:
				done = true
				return nil
			case len(mark) != 9 || mark[0] != aggFromEntries:
				n, err := dropAggRecords(btx, aggRebuildChunk, s.releaser(btx, 20_000))
				dropped += n
				if err != nil || n == aggRebuildChunk {
					return err
				}
				return meta.Put(metaAggMigrate, append([]byte{aggFromEntries}, encodeU64(0)...))
			}
			last, n, end, err := s.addEffects(btx, decodeU64(mark[1:]), aggRebuildChunk, s.releaser(btx, 10_000))
			added += n
			switch {
			case err != nil:
				return err
			case end:
				done = true
				return meta.Delete(metaAggMigrate)
			}
			return meta.Put(metaAggMigrate, append([]byte{aggFromEntries}, encodeU64(last)...))
		})
		if err != nil {
			return err
		}
		if aggRebuildStep != nil && !done {
			if err := aggRebuildStep(s.db); err != nil {
				return err
			}
		}
		// The pages read stay in the page cache; the process need not
		// hold them (see ReleaseMemory).
		s.ReleaseMemory()
	}
	s.log.Info("store: aggregates recomputed", "records_dropped", dropped, "entries", added,
		"took", time.Since(start).Round(time.Millisecond))
	return nil
}

// dropAggRecords deletes up to n records of the agg bucket (not the
// receiver index records beside them) and says how many it deleted.
// It calls release after each key it reads: the transaction's pages of
// the mapping need not stay resident (the ones it changes are copies).
func dropAggRecords(btx *bolt.Tx, n int, release func(now bool)) (int, error) {
	b := btx.Bucket(bucketAgg)
	var stale [][]byte
	c := b.Cursor()
	for k, _ := c.First(); k != nil && len(stale) < n; k, _ = c.Next() {
		release(false)
		if !isRcvKey(k) {
			stale = append(stale, bytes.Clone(k))
		}
	}
	for _, k := range stale {
		if err := b.Delete(k); err != nil {
			return 0, err
		}
	}
	return len(stale), nil
}

// decodeWithOriginal decodes an entry and, for a revoke, the entry it
// reverses, which its effects depend on; ok is false for an entry that
// does not decode or a revoke whose original is missing or later (Verify
// reports both).
func decodeWithOriginal(btx *bolt.Tx, v []byte) (e jifen.Entry, orig *jifen.Entry, ok bool) {
	if decodeEntry(v, &e) != nil {
		return e, nil, false
	}
	if e.Kind == jifen.KindRevoke {
		o, found := getEntry(btx, e.Reverses)
		if !found || o.ID >= e.ID {
			return e, nil, false
		}
		orig = &o
	}
	return e, orig, true
}

// addEffects adds the effects of up to n entries after entry id after to
// the records (fewer if they reach aggRebuildRecords records), reading and writing each record once, and says the last
// entry read, how many were read, and whether the ledger ended. It calls
// release after each entry read and each record written.
func (s *Store) addEffects(btx *bolt.Tx, after uint64, n int, release func(now bool)) (last uint64, read int, end bool, err error) {
	sums := map[string]record{}
	c := btx.Bucket(bucketEntries).Cursor()
	k, v := c.Seek(encodeU64(after + 1))
	for ; k != nil && read < n && len(sums) < aggRebuildRecords; k, v = c.Next() {
		release(false)
		read++
		last = decodeU64(k)
		e, orig, ok := decodeWithOriginal(btx, v)
		if !ok {
			continue
		}
		for _, d := range effects(&e, orig, s.loc) {
			sums[d.rec] = sums[d.rec].add(d.sub, d.agg)
		}
	}
	end = k == nil
	keys := make([]string, 0, len(sums))
	for rk := range sums {
		keys = append(keys, rk)
	}
	slices.Sort(keys)
	b := btx.Bucket(bucketAgg)
	for _, rk := range keys {
		release(false)
		r, err := decodeRecord(b.Get([]byte(rk)))
		if err != nil {
			return 0, 0, false, fmt.Errorf("aggregate record %s: %w", printable([]byte(rk)), err)
		}
		for _, it := range sums[rk] {
			r = r.add(it.sub, it.agg)
		}
		if len(r) == 0 {
			err = b.Delete([]byte(rk))
		} else {
			err = b.Put([]byte(rk), r.encode())
		}
		if err != nil {
			return 0, 0, false, err
		}
	}
	return last, read, end, nil
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
			release := s.releaser(btx, 10_000)
			for i := 0; k != nil && i < entryMigrationChunk; k, v = c.Next() {
				release(false)
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

package postgres

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"jifen"
)

// sortedChunk is how many entries scanSorted fetches at a time.
const sortedChunk = 10_000

// scanQuery is what ScanEntries reads: the columns it passes, by receiver
// in byte order, then id. The entries_receiver index holds them in that
// order, so the cursor streams them from the index (an index-only scan)
// without sorting the ledger first.
const scanQuery = `SELECT id, kind, at, effective, giver, receiver, points, category, behavior, quantity, coalesce(reverses, 0)
	FROM entries ORDER BY receiver COLLATE "C", id`

// scanColumns are the types of scanQuery's columns, in its order.
var scanColumns = [...]uint32{pgtype.Int8OID, pgtype.TextOID, pgtype.TimestamptzOID, pgtype.TimestamptzOID, pgtype.TextOID,
	pgtype.TextOID, pgtype.Int8OID, pgtype.TextOID, pgtype.TextOID, pgtype.Int8OID, pgtype.Int8OID}

// scanSorted is ScanEntries inside Read's transaction: a cursor over the
// entries in receiver order, fetched a chunk at a time, so that fn may
// read through the transaction between chunks. The rows come in the
// binary format and are decoded here, each string made once per
// distinct value (as the bbolt store's scan hands them out), which saves
// most of the allocations of decoding through pgx.
func (r *reader) scanSorted(fn func(e *jifen.Entry) error) error {
	r.cursors++
	cursor := "jifen_scan_entries_" + strconv.Itoa(r.cursors)
	if _, err := r.q.Exec(r.ctx, "DECLARE "+cursor+" NO SCROLL CURSOR FOR "+scanQuery); err != nil {
		r.fail("entries", err)
		return r.err
	}
	defer func() {
		if r.err == nil {
			_, err := r.q.Exec(r.ctx, "CLOSE "+cursor)
			r.fail("entries", err)
		}
	}()
	fetch := "FETCH " + strconv.Itoa(sortedChunk) + " FROM " + cursor
	in := interner{}
	batch := make([]jifen.Entry, 0, sortedChunk)
	for {
		rows, err := r.q.Query(r.ctx, fetch, pgx.QueryResultFormats{pgx.BinaryFormatCode})
		if err != nil {
			r.fail("entries", err)
			return r.err
		}
		batch = batch[:0]
		for rows.Next() {
			e, err := decodeScanned(rows.FieldDescriptions(), rows.RawValues(), in)
			if err != nil {
				rows.Close()
				r.fail("entries", err)
				return r.err
			}
			batch = append(batch, e)
		}
		if err := rows.Err(); err != nil {
			r.fail("entries", err)
			return r.err
		}
		for i := range batch {
			if err := fn(&batch[i]); err != nil {
				return err
			}
		}
		if len(batch) < sortedChunk {
			return nil
		}
	}
}

// decodeScanned decodes one row of scanQuery in the binary format.
func decodeScanned(fields []pgconn.FieldDescription, v [][]byte, in interner) (jifen.Entry, error) {
	if len(v) != len(scanColumns) || len(fields) != len(scanColumns) {
		return jifen.Entry{}, fmt.Errorf("a scanned row has %d columns, not %d", len(v), len(scanColumns))
	}
	for i, f := range fields {
		if f.Format != pgx.BinaryFormatCode || f.DataTypeOID != scanColumns[i] {
			return jifen.Entry{}, fmt.Errorf("scanned column %s is of type %d in format %d", f.Name, f.DataTypeOID, f.Format)
		}
		if v[i] == nil {
			return jifen.Entry{}, fmt.Errorf("scanned column %s is NULL", f.Name)
		}
	}
	var err error
	i64 := func(b []byte) int64 {
		if len(b) != 8 {
			err = fmt.Errorf("a bigint of %d bytes", len(b))
			return 0
		}
		return int64(binary.BigEndian.Uint64(b))
	}
	ts := func(b []byte) time.Time {
		us := i64(b)
		if us == math.MaxInt64 || us == math.MinInt64 {
			err = fmt.Errorf("an infinite timestamp")
			return time.Time{}
		}
		// Microseconds since 2000-01-01 UTC.
		return time.UnixMicro(946_684_800_000_000 + us).UTC()
	}
	e := jifen.Entry{
		ID:        uint64(i64(v[0])),
		Kind:      jifen.EntryKind(in.of(v[1])),
		At:        ts(v[2]),
		Effective: ts(v[3]),
		Giver:     in.of(v[4]),
		Receiver:  in.of(v[5]),
		Points:    i64(v[6]),
		Category:  in.of(v[7]),
		Behavior:  in.of(v[8]),
		Quantity:  i64(v[9]),
		Reverses:  uint64(i64(v[10])),
	}
	return e, err
}

// interner makes each distinct string of a scan once: members, kinds,
// categories and behaviors repeat over the whole ledger.
type interner map[string]string

func (in interner) of(b []byte) string {
	if s, ok := in[string(b)]; ok {
		return s
	}
	s := string(b)
	in[s] = s
	return s
}

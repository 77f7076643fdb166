package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"jifen"
)

func encodeU64(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

func decodeU64(b []byte) uint64 {
	if len(b) < 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

// key joins parts with NUL, the separator of every composite key: member ids,
// period keys and category ids never contain it (config validation and
// platform ids guarantee printable text).
func key(parts ...string) []byte {
	return []byte(strings.Join(parts, "\x00"))
}

// prefix is key(parts...) followed by the separator, for a cursor scan.
func prefix(parts ...string) []byte {
	return append(key(parts...), 0)
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// Entries are stored in a compact binary layout: schema 3 and earlier
// stored them as JSON, five times the size (a ledger of a million entries
// took half a gigabyte for them alone). A record opens with entryLayout,
// a byte no JSON text starts with, so decodeEntry reads both while an
// older file is migrated (migrateEntries).
//
//	entryLayout, uvarint id, str kind, varint at seconds, uvarint at
//	nanoseconds, varint at−effective in seconds, uvarint effective
//	nanoseconds, str giver,
//	str receiver, varint points, str category, str behavior, str reason,
//	uvarint rule version, uvarint reverses, uvarint approval, str source,
//	varint quantity
//
// str is a uvarint length and the bytes; times are UTC.
const entryLayout = 1

// appendFill is the fill percent of the entries bucket, whose keys only
// grow: bbolt's default (half) splits a full page in two halves and never
// writes to the first again, so half of every page would stay empty.
const appendFill = 1.0

// encodeEntry encodes e in the binary layout.
func encodeEntry(e *jifen.Entry) []byte {
	b := make([]byte, 0, 64+len(e.Reason))
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = append(b, entryLayout)
	b = binary.AppendUvarint(b, e.ID)
	str(string(e.Kind))
	b = binary.AppendVarint(b, e.At.Unix())
	b = binary.AppendUvarint(b, uint64(e.At.Nanosecond()))
	b = binary.AppendVarint(b, e.At.Unix()-e.Effective.Unix())
	b = binary.AppendUvarint(b, uint64(e.Effective.Nanosecond()))
	str(e.Giver)
	str(e.Receiver)
	b = binary.AppendVarint(b, e.Points)
	str(e.Category)
	str(e.Behavior)
	str(e.Reason)
	b = binary.AppendUvarint(b, uint64(e.RuleVersion))
	b = binary.AppendUvarint(b, e.Reverses)
	b = binary.AppendUvarint(b, e.Approval)
	str(e.Source)
	b = binary.AppendVarint(b, e.Quantity)
	return b
}

// decodeEntry decodes an entry of either layout (binary, or the JSON of
// schema 3 and earlier).
func decodeEntry(b []byte, e *jifen.Entry) error {
	if len(b) == 0 || b[0] != entryLayout {
		return json.Unmarshal(b, e)
	}
	d := rcvDecoder{b: b[1:]}
	str := func() string { return string(d.bytes()) }
	*e = jifen.Entry{}
	e.ID = d.uvarint()
	e.Kind = kindOf(d.bytes(), nil)
	sec, nsec := d.varint(), d.uvarint()
	back, effNsec := d.varint(), d.uvarint()
	e.Giver = str()
	e.Receiver = str()
	e.Points = d.varint()
	e.Category = str()
	e.Behavior = str()
	e.Reason = str()
	e.RuleVersion = int(d.uvarint())
	e.Reverses = d.uvarint()
	e.Approval = d.uvarint()
	e.Source = str()
	e.Quantity = d.varint()
	if d.bad || len(d.b) != 0 || nsec >= 1e9 || effNsec >= 1e9 {
		*e = jifen.Entry{}
		return fmt.Errorf("corrupt entry record")
	}
	e.At = time.Unix(sec, int64(nsec)).UTC()
	e.Effective = time.Unix(sec-back, int64(effNsec)).UTC()
	return nil
}

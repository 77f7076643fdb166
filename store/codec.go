package store

import (
	"encoding/binary"
	"encoding/json"
	"strings"
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

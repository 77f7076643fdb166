//go:build !linux

package store

import bolt "go.etcd.io/bbolt"

// releaseMapping is a no-op where madvise is not used.
func releaseMapping(*bolt.DB, int64) {}

// Command filestats says where the bytes of a jifen store file go: per
// bucket, the pages of its tree (branch, leaf, overflow), the bytes in use
// in them, and its keys and values; and the file's free pages.
//
//	cd bench && go run ./cmd/filestats FILE...
package main

import (
	"fmt"
	"log"
	"os"
	"sort"

	bolt "go.etcd.io/bbolt"
)

func main() {
	for _, path := range os.Args[1:] {
		if err := stats(path); err != nil {
			log.Fatal(err)
		}
	}
}

func stats(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer db.Close()
	return db.View(func(tx *bolt.Tx) error {
		type row struct {
			name             string
			st               bolt.BucketStats
			keyBytes, values int64
		}
		var rows []row
		var pages int
		err := tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			r := row{name: string(name), st: b.Stats()}
			_ = b.ForEach(func(k, v []byte) error {
				r.keyBytes += int64(len(k))
				r.values += int64(len(v))
				return nil
			})
			pages += r.st.BranchPageN + r.st.LeafPageN + r.st.LeafOverflowN + r.st.BranchOverflowN
			rows = append(rows, r)
			return nil
		})
		if err != nil {
			return err
		}
		sort.Slice(rows, func(i, j int) bool { return rows[i].st.LeafAlloc > rows[j].st.LeafAlloc })
		ps := tx.DB().Info().PageSize
		fmt.Printf("%s: %.1f MB, %d pages of %d bytes; %d in bucket trees; freelist: %d free, %d pending\n", path,
			float64(fi.Size())/1e6, tx.Size()/int64(ps), ps, pages, db.Stats().FreePageN, db.Stats().PendingPageN)
		fmt.Printf("%-16s %9s %9s %9s %9s %10s %10s %10s %10s %6s\n", "bucket", "keys", "branch", "leaf", "overflow",
			"leaf MB", "in use MB", "keys MB", "values MB", "fill")
		for _, r := range rows {
			if r.st.KeyN == 0 {
				continue
			}
			alloc := r.st.LeafAlloc + r.st.BranchAlloc
			fill := float64(r.st.LeafInuse+r.st.BranchInuse) / float64(max(alloc, 1))
			fmt.Printf("%-16s %9d %9d %9d %9d %10.1f %10.1f %10.1f %10.1f %5.0f%%\n", r.name, r.st.KeyN, r.st.BranchPageN,
				r.st.LeafPageN, r.st.LeafOverflowN, float64(alloc)/1e6, float64(r.st.LeafInuse+r.st.BranchInuse)/1e6,
				float64(r.keyBytes)/1e6, float64(r.values)/1e6, 100*fill)
		}
		return nil
	})
}

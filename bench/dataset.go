package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"

	"jifen"
	"jifen/rules"
	"jifen/store"
)

// Dataset is a synthetic ledger: Members employees in ten departments and
// an administrator ("hr") who gives every entry, and Entries entries spread
// evenly over the year 2026 (Asia/Shanghai), each to a random employee for
// one of four behaviors. The same seed gives the same entries to both
// stores.
type Dataset struct {
	Members, Entries int
}

// Full is the dataset of the comparison; Large the same ledger over ten
// times the members (a large company), where what grows with the directory
// shows; Quick is for smoke runs and tests.
var (
	Full  = Dataset{Members: 10_000, Entries: 1_000_000}
	Large = Dataset{Members: 100_000, Entries: 1_000_000}
	Quick = Dataset{Members: 1_000, Entries: 50_000}
)

// Shanghai is the zone periods are computed in, on both sides.
var Shanghai = mustZone("Asia/Shanghai")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// The ledger covers 2026; the queries run "now", at the end of it, so the
// current month (December) is complete and the year report covers a full
// year.
var (
	yearStart = time.Date(2026, 1, 1, 0, 0, 0, 0, Shanghai)
	QueryTime = time.Date(2026, 12, 31, 12, 0, 0, 0, Shanghai)
	// AwardTime is the clock of the award workload (an empty ledger).
	AwardTime = time.Date(2026, 11, 10, 10, 0, 0, 0, Shanghai)
)

var departments = []string{"销售部", "客服部", "研发部", "生产部", "人力资源部", "财务部", "质量部", "采购部", "市场部", "行政部"}

// behaviors are what the entries are given for: the behaviors of
// bot/bench_test.go's big store, with their point ranges.
var behaviors = []struct {
	cat, beh, name, alias string
	lo, hi                int64
}{
	{"sales", "big_deal", "签约大单", "大单", 20, 100},
	{"service", "praise", "客户好评", "好评", 5, 20},
	{"attendance", "late", "迟到", "迟到", -5, -5},
	{"collab", "help_peer", "协助同事", "协助", 1, 10},
}

// Catalog is the rule catalog of both workloads. The receiver cap is high
// enough never to refuse an award of the benchmarks, but it is there, so
// jifen checks it on every award as it would in production.
func Catalog() *rules.Catalog {
	cat := &rules.Catalog{
		Categories: []rules.Category{
			{ID: "sales", Name: "销售业绩"}, {ID: "service", Name: "客户满意度"},
			{ID: "attendance", Name: "考勤"}, {ID: "collab", Name: "内部协作"},
		},
		ReceiverLimits: []rules.NetLimit{{Period: jifen.Month, Max: ptr(int64(1_000_000)), Min: ptr(int64(-1_000_000))}},
	}
	for _, b := range behaviors {
		cat.Behaviors = append(cat.Behaviors, rules.Behavior{ID: b.beh, Name: b.name, Category: b.cat,
			Aliases: []string{b.alias}, Tags: []string{b.alias}, Min: b.lo, Max: b.hi})
	}
	return cat
}

func ptr[T any](v T) *T { return &v }

// MemberList is the directory: "hr" (the giver) and the employees.
func (d Dataset) MemberList() []jifen.Member {
	out := []jifen.Member{{ID: "hr", Name: "刘敏", Department: "人力资源部", Role: jifen.RoleAdmin}}
	for i := range d.Members {
		out = append(out, jifen.Member{ID: memberID(i), Name: fmt.Sprintf("员工%05d", i),
			Department: departments[i%len(departments)], Role: jifen.RoleEmployee})
	}
	return out
}

func memberID(i int) string { return fmt.Sprintf("e%05d", i) }

// Each calls fn with every entry of the dataset, in time order. Times are
// whole seconds, so that SQLite's integer column holds them exactly.
func (d Dataset) Each(fn func(e *jifen.Entry) error) error {
	rng := rand.New(rand.NewPCG(1, 2))
	step := 365 * 24 * time.Hour / time.Duration(d.Entries)
	for i := range d.Entries {
		b := behaviors[rng.IntN(len(behaviors))]
		pts := b.lo + rng.Int64N(b.hi-b.lo+1)
		kind := jifen.KindAward
		if pts < 0 {
			kind = jifen.KindDeduct
		}
		at := yearStart.Add(step * time.Duration(i)).Truncate(time.Second).UTC()
		e := jifen.Entry{Kind: kind, At: at, Effective: at, Giver: "hr", Receiver: memberID(rng.IntN(d.Members)),
			Points: pts, Category: b.cat, Behavior: b.beh, Reason: "bench", RuleVersion: 1, Source: "bench"}
		if err := fn(&e); err != nil {
			return err
		}
	}
	return nil
}

// Files are the two stores holding the same dataset.
type Files struct {
	Jifen, SQLite string
}

// datasetVersion names the generator in the file names: a change to Each
// must change it, so that no run reuses files of another ledger.
const datasetVersion = 1

// Prepare returns the files of dataset d in dir, building those that are
// missing (both at once: each builder is mostly one goroutine). A file is
// written under a temporary name and renamed when complete, so an
// interrupted build is never reused.
func Prepare(dir string, d Dataset, logf func(format string, args ...any)) (Files, error) {
	name := fmt.Sprintf("%d-%d-v%d", d.Members, d.Entries, datasetVersion)
	f := Files{
		// The store's layout version is in jifen's name: a file of
		// another layout would be migrated on open, and the run would
		// measure a migrated file rather than one this jifen wrote.
		Jifen:  filepath.Join(dir, fmt.Sprintf("jifen-compare-%s-s%d.db", name, store.SchemaVersion)),
		SQLite: filepath.Join(dir, "sqlite-compare-"+name+".db"),
	}
	var wg sync.WaitGroup
	var jerr, serr error
	build := func(path string, fn func(string, Dataset) error, errp *error) {
		if _, err := os.Stat(path); err == nil {
			return
		}
		wg.Go(func() {
			t0 := time.Now()
			logf("building %s (%d members, %d entries)…", path, d.Members, d.Entries)
			tmp := path + ".tmp"
			removeDB(tmp)
			if err := fn(tmp, d); err != nil {
				*errp = fmt.Errorf("build %s: %w", path, err)
				return
			}
			if err := os.Rename(tmp, path); err != nil {
				*errp = err
				return
			}
			logf("built %s in %v", path, time.Since(t0).Round(time.Second))
		})
	}
	build(f.Jifen, buildJifen, &jerr)
	build(f.SQLite, buildSQLite, &serr)
	wg.Wait()
	if jerr != nil {
		return f, jerr
	}
	return f, serr
}

// removeDB removes a database file and SQLite's companions.
func removeDB(path string) {
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		os.Remove(path + suffix)
	}
}

// buildJifen loads the dataset through store.Write and tx.Append, the path
// of every write, in transactions of 5,000 entries without fsync (a bulk
// load), and syncs the file once at the end.
func buildJifen(path string, d Dataset) error {
	st, err := store.Open(path, store.Options{Location: Shanghai, Clock: fixedClock{QueryTime}, NoSync: true})
	if err != nil {
		return err
	}
	defer st.Close()
	ctx := context.Background()
	if err := st.SyncMembers(ctx, d.MemberList()); err != nil {
		return err
	}
	const chunk = 5000
	batch := make([]jifen.Entry, 0, chunk)
	flush := func() error {
		_, _, err := st.Write(ctx, "", func(tx store.Txn) ([]byte, error) {
			for i := range batch {
				if _, err := tx.Append(&batch[i]); err != nil {
					return nil, err
				}
			}
			return nil, nil
		})
		batch = batch[:0]
		return err
	}
	err = d.Each(func(e *jifen.Entry) error {
		batch = append(batch, *e)
		if len(batch) == chunk {
			return flush()
		}
		return nil
	})
	if err == nil && len(batch) > 0 {
		err = flush()
	}
	if err != nil {
		return err
	}
	if err := st.Sync(); err != nil {
		return err
	}
	return st.Close()
}

// fixedClock is a clock that does not move.
type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

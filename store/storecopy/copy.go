// Package storecopy copies a ledger from one store to another (jifen
// store copy): bbolt to PostgreSQL and back, or between two of a kind. It
// streams the source's records (store.Dumper) into an empty target in
// batches (store.Loader), so that the memory it takes does not grow with
// the ledger, and then proves the copy: Verify is clean on the target,
// both stores pass the same records when dumped again, and they give the
// same report JSON for every period with entries, the same balance for
// every member and the same stock for every item.
//
// A copy that is cut short (a crash, Ctrl-C) leaves the target marked as
// an unfinished copy; a later copy into it is refused
// (store.ErrUnfinishedCopy) until it is emptied. The mark is removed only
// once the copy has been proved.
package storecopy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"time"

	"jifen"
	"jifen/report"
	"jifen/store"
)

// Source is a store a copy reads.
type Source interface {
	store.Ledger
	store.Dumper
}

// Target is a store a copy writes, and dumps again to compare.
type Target interface {
	store.Ledger
	store.Dumper
	store.Loader
}

// Options tune a copy.
type Options struct {
	// From names the source in the target's mark (never a password).
	From string
	// BatchSize is how many records one transaction of the target takes;
	// default 5000.
	BatchSize int
	// Progress, if set, is called after each batch with the records
	// copied so far.
	Progress func(copied int)
}

// Result is what a copy did and what it compared.
type Result struct {
	// Copied counts the records copied, by kind (store.RecordKinds).
	Copied map[string]int
	// Raised counts the entries recorded at the time of the entry before
	// them, because the target keeps recording times in id order (see
	// store.Loader.RaisesRecordingTimes).
	Raised int
	// Verify is the target's Verify report (clean).
	Verify store.VerifyReport
	// Compared counts the records found equal on both sides.
	Compared int
	// Periods are the periods whose report JSON was compared.
	Periods []string
	// Members and Items count the balances and stocks compared.
	Members, Items int
}

// ErrDiffers is wrapped by the error of a copy that does not match its
// source; the target keeps its unfinished-copy mark.
var ErrDiffers = errors.New("the copy differs from its source")

// Copy copies everything src holds into dst, which must be empty, and
// proves the copy (see the package comment).
func Copy(ctx context.Context, src Source, dst Target, opt Options) (*Result, error) {
	if opt.BatchSize <= 0 {
		opt.BatchSize = 5000
	}
	if err := src.CheckDump(ctx); err != nil {
		return nil, err
	}
	if err := dst.BeginLoad(ctx, opt.From); err != nil {
		return nil, err
	}
	res := &Result{Copied: map[string]int{}}
	loc := src.Location()
	periods := map[string]jifen.Period{}
	items := map[string]bool{}
	var batch []store.Record
	copied := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := dst.Load(ctx, batch); err != nil {
			return err
		}
		copied += len(batch)
		batch = batch[:0]
		if opt.Progress != nil {
			opt.Progress(copied)
		}
		return nil
	}
	var lastAt time.Time
	err := src.Dump(ctx, func(r store.Record) error {
		kind := r.Kind()
		res.Copied[kind]++
		if e := r.Entry; e != nil {
			for _, k := range []jifen.PeriodKind{jifen.Month, jifen.Quarter, jifen.Year} {
				p := jifen.PeriodOf(k, e.Effective, loc)
				periods[p.Key] = p
			}
			if item, units := store.StockDelta(e); units != 0 {
				items[item] = true
			}
			if dst.RaisesRecordingTimes() && e.At.Before(lastAt) {
				res.Raised++
			} else {
				lastAt = e.At
			}
		}
		batch = append(batch, r)
		if len(batch) >= opt.BatchSize {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return res, err
	}
	if err := prove(ctx, src, dst, res, periods, items); err != nil {
		return res, err
	}
	return res, dst.FinishLoad(ctx)
}

// prove checks the copy: Verify, the records, the reports, the balances
// and the stock.
func prove(ctx context.Context, src Source, dst Target, res *Result, periods map[string]jifen.Period, items map[string]bool) error {
	rep, err := dst.Verify()
	if err != nil {
		return fmt.Errorf("verify the copy: %w", err)
	}
	res.Verify = rep
	if !rep.OK() {
		return fmt.Errorf("%w: verify found %d problems in the copy, the first: %s", ErrDiffers, len(rep.Problems), rep.Problems[0])
	}
	if err := compareRecords(ctx, src, dst, dst.RaisesRecordingTimes(), res); err != nil {
		return err
	}
	ps := make([]jifen.Period, 0, len(periods))
	for _, p := range periods {
		ps = append(ps, p)
	}
	slices.SortFunc(ps, func(a, b jifen.Period) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return b.End.Compare(a.End)
	})
	now := src.Now()
	for _, p := range ps {
		a, err := reportJSON(ctx, src, p, now)
		if err != nil {
			return fmt.Errorf("report %s of the source: %w", p.Key, err)
		}
		b, err := reportJSON(ctx, dst, p, now)
		if err != nil {
			return fmt.Errorf("report %s of the copy: %w", p.Key, err)
		}
		if string(a) != string(b) {
			return fmt.Errorf("%w: the report of %s is not the same", ErrDiffers, p.Key)
		}
		res.Periods = append(res.Periods, p.Key)
	}
	itemList := make([]string, 0, len(items))
	for it := range items {
		itemList = append(itemList, it)
	}
	slices.Sort(itemList)
	a, err := figures(ctx, src, itemList)
	if err != nil {
		return err
	}
	b, err := figures(ctx, dst, itemList)
	if err != nil {
		return err
	}
	for m, v := range a.balances {
		if w, ok := b.balances[m]; !ok || w != v {
			return fmt.Errorf("%w: member %s has a balance of %d in the source and %d in the copy", ErrDiffers, m, v, w)
		}
	}
	if len(a.balances) != len(b.balances) {
		return fmt.Errorf("%w: %d members in the source, %d in the copy", ErrDiffers, len(a.balances), len(b.balances))
	}
	for _, it := range itemList {
		if a.stock[it] != b.stock[it] {
			return fmt.Errorf("%w: %d units of %s are redeemed in the source, %d in the copy", ErrDiffers, a.stock[it], it, b.stock[it])
		}
	}
	res.Members, res.Items = len(a.balances), len(itemList)
	return nil
}

type figureSet struct {
	balances map[string]int64
	stock    map[string]int64
}

func figures(ctx context.Context, l store.Ledger, items []string) (figureSet, error) {
	f := figureSet{balances: map[string]int64{}, stock: map[string]int64{}}
	err := l.Read(ctx, func(r store.Reader) error {
		for _, m := range r.Members() {
			f.balances[m.ID] = r.Balance(m.ID)
		}
		for _, it := range items {
			f.stock[it] = r.StockUsed(it)
		}
		return nil
	})
	return f, err
}

// clocked is a Reader whose clock stands still, so that both sides'
// reports are made as of the same time.
type clocked struct {
	store.Reader
	now time.Time
}

func (c clocked) Now() time.Time { return c.now }

func reportJSON(ctx context.Context, l store.Ledger, p jifen.Period, now time.Time) ([]byte, error) {
	var out []byte
	err := l.Read(ctx, func(r store.Reader) error {
		s, err := report.AnalyzeSource(clocked{r, now}, p, nil, func(key string, args ...any) string { return fmt.Sprint(key, args) })
		if err != nil {
			return err
		}
		out, err = json.Marshal(s)
		return err
	})
	return out, err
}

// compareRecords dumps both stores at once and compares them record by
// record. Times are compared to the microsecond (PostgreSQL's precision);
// an idempotency record by its key, result and expiry (to the
// millisecond, the bbolt store's precision); an entry the target raised
// (raises) at the recording time the target gave it.
func compareRecords(ctx context.Context, src Source, dst Target, raises bool, res *Result) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	theirs := make(chan store.Record, 256)
	dumpErr := make(chan error, 1)
	go func() {
		defer close(theirs)
		dumpErr <- dst.Dump(ctx, func(r store.Record) error {
			select {
			case theirs <- r:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	var lastAt time.Time
	n := 0
	err := src.Dump(ctx, func(r store.Record) error {
		if e := r.Entry; e != nil && raises {
			c := *e
			if c.At.Before(lastAt) {
				c.At = lastAt
			}
			lastAt = c.At
			r = store.Record{Entry: &c}
		}
		t, ok := <-theirs
		if !ok {
			return fmt.Errorf("%w: the copy ends before the source's %s record %d", ErrDiffers, r.Kind(), n+1)
		}
		n++
		a, err := canonical(r)
		if err != nil {
			return err
		}
		b, err := canonical(t)
		if err != nil {
			return err
		}
		if string(a) != string(b) {
			return fmt.Errorf("%w: record %d (%s%s) is not the same", ErrDiffers, n, r.Kind(), ident(r))
		}
		return nil
	})
	if err == nil {
		if t, ok := <-theirs; ok {
			err = fmt.Errorf("%w: the copy has more records than the source (%s%s)", ErrDiffers, t.Kind(), ident(t))
		}
	}
	cancel()
	for range theirs {
	}
	if derr := <-dumpErr; err == nil && derr != nil {
		err = fmt.Errorf("dump the copy: %w", derr)
	}
	res.Compared = n
	return err
}

// ident names a record by its number, for a message: never its content.
func ident(r store.Record) string {
	switch {
	case r.Entry != nil:
		return fmt.Sprintf(" %d", r.Entry.ID)
	case r.Approval != nil:
		return fmt.Sprintf(" A%d", r.Approval.ID)
	case r.Redemption != nil:
		return fmt.Sprintf(" R%d", r.Redemption.ID)
	case r.Outgoing != nil:
		return fmt.Sprintf(" %s %d", r.Outgoing.Platform, r.Outgoing.ID)
	case r.Audit != nil:
		return fmt.Sprintf(" %d", r.Audit.ID)
	case r.Catalog != nil:
		return fmt.Sprintf(" %d", r.Catalog.Version)
	case r.Sequence != nil:
		return " " + r.Sequence.Name
	}
	return ""
}

// canonical is the record as JSON, with every time to the microsecond.
func canonical(r store.Record) ([]byte, error) {
	if k := r.Idempotency; k != nil {
		c := *k
		c.At, c.Expires = time.Time{}, time.UnixMilli(c.Expires.UnixMilli()).UTC()
		if len(c.Result) == 0 {
			c.Result = nil
		}
		r = store.Record{Idempotency: &c}
	}
	v := reflect.ValueOf(&r).Elem()
	truncateTimes(v)
	return json.Marshal(r)
}

var timeType = reflect.TypeOf(time.Time{})

// truncateTimes sets every time reachable from v (through pointers,
// structs and slices) to UTC and to the microsecond. Pointers are copied
// first, so that the caller's values stay as they are.
func truncateTimes(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() || !v.CanSet() {
			return
		}
		c := reflect.New(v.Elem().Type())
		c.Elem().Set(v.Elem())
		v.Set(c)
		truncateTimes(c.Elem())
	case reflect.Struct:
		if v.Type() == timeType {
			t := v.Interface().(time.Time)
			if !t.IsZero() {
				v.Set(reflect.ValueOf(t.UTC().Truncate(time.Microsecond)))
			}
			return
		}
		for i := 0; i < v.NumField(); i++ {
			if f := v.Field(i); f.CanSet() {
				truncateTimes(f)
			}
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 || v.IsNil() {
			return
		}
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		reflect.Copy(c, v)
		v.Set(c)
		for i := 0; i < c.Len(); i++ {
			truncateTimes(c.Index(i))
		}
	}
}

package bench

import (
	"context"
	"database/sql"
	"time"

	"jifen"
	"jifen/report"
)

// Report is jifen's side of the year report: report.Analyze over the store
// for the period and the one before it, reading the ledger once. Analyze
// computes everything the report shows (the figures below, then quartiles,
// ranks, groups and suggestions from them).
func (j *Jifen) Report(p jifen.Period) (*report.Summary, error) {
	return report.Analyze(j.st, p, report.Options{Location: Shanghai, Now: j.st.Now(), Catalog: Catalog()})
}

// PeriodFigures are the sums jifen's report is computed from, for one
// period: what report.Analyze accumulates while it reads the ledger.
type PeriodFigures struct {
	Net, Awarded, Deducted int64
	Entries                int
	ByMember               map[string]int64
	Received               map[string]int // entries with positive points, per member
	ByCategory, ByBehavior map[string]int64
	CategoryN, BehaviorN   map[string]int
	DeptCategory           map[[2]string]int64 // department, category → points
	BehaviorDept           map[[2]string]int64 // behavior, department → absolute points
}

// ReportFigures are the figures of a period, of the period before it and
// the net points of every month of the ledger.
type ReportFigures struct {
	Current, Previous PeriodFigures
	MonthNet          map[string]int64
	First             time.Time
}

// Report is SQLite's side of the year report: the same figures, from SQL
// aggregations. Per period, one query sums the points per member through
// a covering index (the planner picks (member, at, points)), and one reads
// the entries of the period with their member's department and groups them
// by department, category and behavior, from which the totals, the
// categories, the behaviors, the department × category matrix and the
// behaviors' departments all follow. The months' net points are read from
// the member × month aggregate. What Analyze derives from the figures
// (quartiles, ranks, groups, suggestions) is not repeated here.
func (s *SQLite) Report(ctx context.Context, p jifen.Period) (*ReportFigures, error) {
	r := &ReportFigures{MonthNet: map[string]int64{}}
	for _, x := range []struct {
		p   jifen.Period
		out *PeriodFigures
	}{{p, &r.Current}, {p.Previous(Shanghai), &r.Previous}} {
		if err := s.periodFigures(ctx, x.p, x.out); err != nil {
			return nil, err
		}
	}
	// The months come from the aggregate the awards maintain: summing
	// them from the entries would sort the whole ledger (about a second).
	rows, err := s.db.QueryContext(ctx, `SELECT month, SUM(points) FROM month_points GROUP BY month`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var month string
		var net int64
		if err := rows.Scan(&month, &net); err != nil {
			return nil, err
		}
		r.MonthNet[month] = net
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var first sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT MIN(at) FROM entries`).Scan(&first); err != nil {
		return nil, err
	}
	if first.Valid {
		r.First = time.Unix(first.Int64, 0).UTC()
	}
	return r, nil
}

func (s *SQLite) periodFigures(ctx context.Context, p jifen.Period, f *PeriodFigures) error {
	*f = PeriodFigures{ByMember: map[string]int64{}, Received: map[string]int{}, ByCategory: map[string]int64{},
		ByBehavior: map[string]int64{}, CategoryN: map[string]int{}, BehaviorN: map[string]int{},
		DeptCategory: map[[2]string]int64{}, BehaviorDept: map[[2]string]int64{}}
	from, to := p.Start.Unix(), p.End.Unix()
	rows, err := s.db.QueryContext(ctx, `SELECT member, SUM(points), SUM(points > 0) FROM entries
		WHERE at >= ? AND at < ? GROUP BY member`, from, to)
	if err != nil {
		return err
	}
	for rows.Next() {
		var m string
		var pts int64
		var n int
		if err := rows.Scan(&m, &pts, &n); err != nil {
			rows.Close()
			return err
		}
		f.ByMember[m], f.Received[m] = pts, n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = s.db.QueryContext(ctx, `SELECT m.department, e.category, e.behavior,
		SUM(e.points), SUM(ABS(e.points)), COUNT(*), SUM(MAX(e.points, 0)), SUM(MAX(-e.points, 0))
		FROM entries e JOIN members m ON m.id = e.member
		WHERE e.at >= ? AND e.at < ? GROUP BY 1, 2, 3`, from, to)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var dept, cat, beh string
		var net, abs, plus, minus int64
		var n int
		if err := rows.Scan(&dept, &cat, &beh, &net, &abs, &n, &plus, &minus); err != nil {
			return err
		}
		f.Net += net
		f.Awarded += plus
		f.Deducted += minus
		f.Entries += n
		f.ByCategory[cat] += net
		f.CategoryN[cat] += n
		f.ByBehavior[beh] += net
		f.BehaviorN[beh] += n
		f.DeptCategory[[2]string{dept, cat}] += net
		f.BehaviorDept[[2]string{beh, dept}] += abs
	}
	return rows.Err()
}

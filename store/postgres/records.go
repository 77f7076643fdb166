package postgres

import (
	"context"
	"encoding/json"

	"github.com/jackc/pgx/v5"

	"jifen"
	"jifen/store"
)

// RegisterCatalog returns the version number of the catalog with the given
// fingerprint, recording it as a new version (with its content, kept byte
// for byte) the first time it is seen. A catalog that comes back after a
// change keeps its old number. Replicas starting with a new catalog at
// once record one version.
func (s *Store) RegisterCatalog(ctx context.Context, fingerprint string, content any) (int, error) {
	raw, err := json.Marshal(content)
	if err != nil {
		return 0, err
	}
	var v int
	_, _, err = s.write(ctx, "", func(tx *Tx) ([]byte, error) {
		// Replicas registering at once take turns.
		if _, err := tx.exec("LOCK TABLE catalogs IN SHARE ROW EXCLUSIVE MODE"); err != nil {
			return nil, err
		}
		found, err := tx.row("SELECT version FROM catalogs WHERE fingerprint = $1", []any{fingerprint}, &v)
		if err != nil || found {
			return nil, err
		}
		_, err = tx.row(`INSERT INTO catalogs (version, fingerprint, since, catalog)
			SELECT coalesce(max(version), 0) + 1, $1, $2, $3::json FROM catalogs RETURNING version`,
			[]any{fingerprint, tx.now, string(raw)}, &v)
		return nil, err
	})
	return v, err
}

// CatalogVersions lists every recorded version, oldest first.
func (r *reader) CatalogVersions() ([]store.CatalogVersion, error) {
	ctx := r.ctx
	rows, err := r.q.Query(ctx, "SELECT version, fingerprint, since, catalog::text FROM catalogs ORDER BY version")
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.CatalogVersion, error) {
		var cv store.CatalogVersion
		var raw string
		err := r.Scan(&cv.Version, &cv.Fingerprint, &cv.Since, &raw)
		cv.Since, cv.Catalog = cv.Since.UTC(), json.RawMessage(raw)
		return cv, err
	})
}

// PutRating stores a rating in the transaction; a rating for the same
// member and period replaces the earlier one.
func (tx *Tx) PutRating(r jifen.Rating) error {
	_, err := tx.exec(`INSERT INTO ratings (period, member, grade, score) VALUES ($1, $2, $3, $4)
		ON CONFLICT (period, member) DO UPDATE SET grade = excluded.grade, score = excluded.score`,
		r.Period, r.Member, r.Grade, r.Score)
	return err
}

// PutKPI stores a KPI in the transaction; the same name, period and
// department replaces the earlier value.
func (tx *Tx) PutKPI(k jifen.KPI) error {
	_, err := tx.exec(`INSERT INTO kpis (period, name, department, value) VALUES ($1, $2, $3, $4)
		ON CONFLICT (period, name, department) DO UPDATE SET value = excluded.value`,
		k.Period, k.Name, k.Department, k.Value)
	return err
}

// PutRatings stores imported ratings, all in one transaction.
func (s *Store) PutRatings(ctx context.Context, rs []jifen.Rating) error {
	_, _, err := s.write(ctx, "", func(tx *Tx) ([]byte, error) {
		for _, r := range rs {
			if err := tx.PutRating(r); err != nil {
				return nil, err
			}
		}
		return nil, nil
	})
	return err
}

// PutKPIs stores imported KPIs in one transaction.
func (s *Store) PutKPIs(ctx context.Context, ks []jifen.KPI) error {
	_, _, err := s.write(ctx, "", func(tx *Tx) ([]byte, error) {
		for _, k := range ks {
			if err := tx.PutKPI(k); err != nil {
				return nil, err
			}
		}
		return nil, nil
	})
	return err
}

func collect[T any](r *reader, what, q string, scan func(pgx.CollectableRow) (T, error), args ...any) []T {
	rows, err := r.q.Query(r.ctx, q, args...)
	if err != nil {
		r.fail(what, err)
		return nil
	}
	out, err := pgx.CollectRows(rows, scan)
	if err != nil {
		r.fail(what, err)
	}
	return out
}

func scanRating(r pgx.CollectableRow) (jifen.Rating, error) {
	var x jifen.Rating
	err := r.Scan(&x.Period, &x.Member, &x.Grade, &x.Score)
	return x, err
}

func scanKPI(r pgx.CollectableRow) (jifen.KPI, error) {
	var x jifen.KPI
	err := r.Scan(&x.Period, &x.Name, &x.Department, &x.Value)
	return x, err
}

// Ratings returns the ratings of a period, by member.
func (r *reader) Ratings(period string) []jifen.Rating {
	return collect(r, "ratings", "SELECT period, member, grade, score FROM ratings WHERE period = $1 ORDER BY member", scanRating, period)
}

// AllRatings returns every rating, by period and member.
func (r *reader) AllRatings() []jifen.Rating {
	return collect(r, "ratings", "SELECT period, member, grade, score FROM ratings ORDER BY period, member", scanRating)
}

// KPIs returns the KPIs of a period, by name and department.
func (r *reader) KPIs(period string) []jifen.KPI {
	return collect(r, "KPIs", "SELECT period, name, department, value FROM kpis WHERE period = $1 ORDER BY name, department", scanKPI, period)
}

// AllKPIs returns every KPI, by period, name and department.
func (r *reader) AllKPIs() []jifen.KPI {
	return collect(r, "KPIs", "SELECT period, name, department, value FROM kpis ORDER BY period, name, department", scanKPI)
}

// AddFeedback stores feedback; key keeps a retried delivery (reaching any
// replica) from adding it twice.
func (s *Store) AddFeedback(ctx context.Context, key string, f store.Feedback) error {
	_, _, err := s.write(ctx, key, func(tx *Tx) ([]byte, error) {
		_, err := tx.exec("INSERT INTO feedback (member, author, text, at) VALUES ($1, $2, $3, $4)", f.Member, f.From, f.Text, tx.now)
		return nil, err
	})
	return err
}

// FeedbackIn returns a member's feedback given in a period, oldest first.
func (r *reader) FeedbackIn(member string, p jifen.Period) []store.Feedback {
	return collect(r, "feedback", `SELECT member, author, text, at FROM feedback
		WHERE member = $1 AND at >= $2 AND at < $3 ORDER BY id`,
		func(r pgx.CollectableRow) (store.Feedback, error) {
			var f store.Feedback
			err := r.Scan(&f.Member, &f.From, &f.Text, &f.At)
			f.At = f.At.UTC()
			return f, err
		}, member, p.Start.UTC(), p.End.UTC())
}

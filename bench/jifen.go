package bench

import (
	"jifen"
	"jifen/store"
)

// Jifen is jifen's side of the query workloads, over a built dataset.
type Jifen struct {
	st *store.Store
}

// OpenJifen opens a built dataset for the queries, its clock at QueryTime.
func OpenJifen(path string) (*Jifen, error) {
	st, err := store.Open(path, store.Options{Location: Shanghai, Clock: fixedClock{QueryTime}})
	if err != nil {
		return nil, err
	}
	return &Jifen{st: st}, nil
}

// Close closes the store.
func (j *Jifen) Close() error { return j.st.Close() }

// Month is the month of the query workloads, on both sides.
func Month() jifen.Period { return jifen.PeriodOf(jifen.Month, QueryTime, Shanghai) }

// Year is the year of the report, on both sides.
func Year() jifen.Period { return jifen.PeriodOf(jifen.Year, QueryTime, Shanghai) }

// Top is a period's top 10 from the store's ranking board: in memory once
// loaded, and kept up to date by every commit, as in a running bot.
func (j *Jifen) Top(p jifen.Period) []Standing {
	var out []Standing
	for _, s := range j.st.Top(p, 10, "") {
		out = append(out, Standing{Member: s.Member.ID, Points: s.Points})
	}
	return out
}

// TopCold is Top after dropping the boards: the first leaderboard of a
// period after a start, which loads the board from the aggregates.
func (j *Jifen) TopCold(p jifen.Period) []Standing {
	j.st.DropBoards()
	return j.Top(p)
}

// Score is a member's balance, month total and month rank, from the
// aggregates and the month's board (RankOf also gives the rank in the
// department, which the SQLite side does not compute).
func (j *Jifen) Score(member string, month jifen.Period) Score {
	r := j.st.RankOf(member, month)
	return Score{Balance: j.st.Balance(member), Month: j.st.Totals(member, month).Net, Rank: r.Rank}
}

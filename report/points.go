package report

// PointsFigures is how points were given and spent.
type PointsFigures struct {
	Awarded      int64         `json:"awarded"`  // sum of positive points
	Deducted     int64         `json:"deducted"` // sum of deductions, positive
	Net          int64         `json:"net"`
	PreviousNet  int64         `json:"previous_net"`
	Change       *float64      `json:"change"` // net vs previous, fraction; null when undefined
	Entries      int           `json:"entries"`
	ByCategory   []Share       `json:"by_category"`
	ByBehavior   []Share       `json:"by_behavior"`
	Spent        int64         `json:"spent"`
	Spending     []Spending    `json:"spending"`
	Unused       []string      `json:"unused_rules"` // behavior names with no entry
	CapsHit      []CapHit      `json:"caps_hit"`
	Concentrated []Concentrate `json:"concentrated"`
}

// Share is one category's or behavior's points and their share of all.
type Share struct {
	ID       string  `json:"id"`
	Name     string  `json:"name"`
	Points   int64   `json:"points"`
	Share    float64 `json:"share"` // of the absolute points of the period
	Previous int64   `json:"previous"`
	Entries  int     `json:"entries"`
}

// Spending is what one reward took.
type Spending struct {
	Item   string `json:"item"`
	Name   string `json:"name"`
	Units  int64  `json:"units"`
	Points int64  `json:"points"`
}

// CapHit is a behavior limit that receivers reached.
type CapHit struct {
	Behavior  string  `json:"behavior"`
	Name      string  `json:"name"`
	Period    string  `json:"period"`
	Times     int     `json:"times,omitempty"`
	Points    int64   `json:"points,omitempty"`
	Hits      int     `json:"hits"` // receiver × limit-period slots at the cap
	Receivers int     `json:"receivers"`
	Share     float64 `json:"share"` // of the behavior's receivers who hit it
}

// Concentrate is a behavior whose points come mostly from one department.
type Concentrate struct {
	Behavior   string  `json:"behavior"`
	Name       string  `json:"name"`
	Department string  `json:"department"`
	Share      float64 `json:"share"`
}

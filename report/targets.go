package report

// TargetResult is one goal against the period's figure.
type TargetResult struct {
	ID     string   `json:"id"`
	Name   string   `json:"name"`
	Metric string   `json:"metric"`
	Actual *float64 `json:"actual"` // null when there is no data
	Min    *float64 `json:"min,omitempty"`
	Max    *float64 `json:"max,omitempty"`
	Met    *bool    `json:"met"`
	Gap    *float64 `json:"gap"` // actual minus the bound it misses or meets
}

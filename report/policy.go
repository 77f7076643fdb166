package report

import (
	"time"
)

// PolicyEffect is the average monthly points per member before and after a
// dated policy, and the members who stopped incurring its behavior.
type PolicyEffect struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Date        time.Time `json:"date"`
	Description string    `json:"description,omitempty"`
	Before      float64   `json:"before"` // average monthly points per member, up to 3 months before
	After       float64   `json:"after"`  // up to 3 months from the policy's month, within the period
	Months      [2]int    `json:"months"` // how many months each average covers
	Change      *float64  `json:"change"`
	Stopped     []Person  `json:"stopped,omitempty"` // incurred the behavior before, not since
}

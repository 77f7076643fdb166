package jifen

import "time"

// Role says what a member may do. Admins run the scheme (revoke, approve,
// surveys); managers award and deduct within their allowance; employees
// thank peers within a small allowance.
type Role string

const (
	RoleAdmin    Role = "admin"
	RoleManager  Role = "manager"
	RoleEmployee Role = "employee"
)

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool {
	return r == RoleAdmin || r == RoleManager || r == RoleEmployee
}

// Member is a person (or a bot) known to the scheme. ID is the stable key
// used in the ledger; Name is how people mention them in chat (@王芳).
type Member struct {
	ID           string    `json:"id"`
	Name         string    `json:"name"`
	SlackID      string    `json:"slack_id,omitempty"`
	FeishuOpenID string    `json:"feishu_open_id,omitempty"`
	Department   string    `json:"department,omitempty"`
	Level        string    `json:"level,omitempty"` // e.g. 基层, 中层, 高层
	Role         Role      `json:"role"`
	Joined       time.Time `json:"joined,omitzero"` // a date, midnight UTC
	Bot          bool      `json:"bot,omitempty"`   // bots never receive points
}

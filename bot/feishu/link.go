package feishu

import (
	"context"
	"fmt"

	"jifen"
	"jifen/store"
)

// LinkByEmail links each member who has an email but no open_id to the
// Feishu user with that email (contact/v3/users/batch_get_id, 50 emails a
// call, contact:user.id:readonly), so that direct messages (personal
// reports, survey cards) reach them before they first use jifen. A
// resigned or frozen user is not linked, and store.LinkMember never
// replaces an id nor shares one another member holds. It logs counts
// only, never an email or a name.
func (a *Adapter) LinkByEmail(ctx context.Context) (linked int, err error) {
	byEmail := map[string]jifen.Member{}
	var emails []string
	if err := a.st.Read(ctx, func(r store.Reader) error {
		now := r.Now()
		for _, m := range r.Members() {
			if m.Email != "" && m.FeishuOpenID == "" && !m.Bot && !m.HasLeft(now, r.Location()) {
				byEmail[jifen.EmailKey(m.Email)] = m
				emails = append(emails, m.Email)
			}
		}
		return nil
	}); err != nil {
		return 0, err
	}
	if len(emails) == 0 {
		return 0, nil
	}
	found, err := a.openIDsByEmail(ctx, emails)
	if err != nil {
		return 0, err
	}
	skipped := 0
	for _, p := range found {
		m, ok := byEmail[jifen.EmailKey(p.Email)]
		if !ok {
			continue
		}
		delete(byEmail, jifen.EmailKey(p.Email)) // one user per member
		if p.Inactive {
			skipped++
			continue
		}
		// The id may be another member's, or the member linked meanwhile
		// (first contact, members sync): then nothing is linked.
		switch ok, err := a.st.TryLinkMember(ctx, m.ID, jifen.Member{FeishuOpenID: p.ID}); {
		case err != nil:
			return linked, fmt.Errorf("link member %s: %w", m.ID, err)
		case ok:
			linked++
		default:
			skipped++
		}
	}
	a.log.Info("linked members by email", "looked_up", len(emails), "linked", linked,
		"not_found", len(byEmail), "skipped", skipped)
	return linked, nil
}

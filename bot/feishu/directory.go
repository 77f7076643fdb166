package feishu

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	larkcontact "github.com/larksuite/oapi-sdk-go/v3/service/contact/v3"

	"jifen"
	"jifen/bot"
	"jifen/roster"
)

// Directory reads the tenant's contact tree for `jifen members sync`:
// every department under the root (contact/v3/departments/0/children with
// fetch_child, 50 a page) with its leaders, and each department's users
// (contact/v3/users/find_by_department, 50 a page). The app sees only the
// departments and users of its contact range (通讯录权限范围).
//
// Members' emails that the tree did not show (people outside the range,
// or who have resigned and left every department) are looked up with
// contact/v3/users/batch_get_id, resigned people included, so a member
// who has left is found and marked.
func (a *Adapter) Directory(ctx context.Context, emails []string) ([]roster.Person, error) {
	type dept struct {
		id, name string
		leaders  []string
	}
	depts := []dept{{id: "0"}} // the root: people directly under it have no department
	for page := ""; ; {
		b := larkcontact.NewChildrenDepartmentReqBuilder().DepartmentId("0").DepartmentIdType("open_department_id").
			UserIdType("open_id").FetchChild(true).PageSize(50)
		if page != "" {
			b.PageToken(page)
		}
		var resp *larkcontact.ChildrenDepartmentResp
		err := a.contactCall(ctx, "departments children", func() (response, error) {
			r, err := a.api.Contact.V3.Department.Children(ctx, b.Build())
			resp = r
			return r, err
		})
		if err != nil {
			return nil, err
		}
		if resp.Data == nil {
			break
		}
		for _, d := range resp.Data.Items {
			if d == nil || (d.Status != nil && d.Status.IsDeleted != nil && *d.Status.IsDeleted) {
				continue
			}
			x := dept{id: deref(d.OpenDepartmentId), name: cleanName(deref(d.Name))}
			if l := deref(d.LeaderUserId); l != "" {
				x.leaders = append(x.leaders, l)
			}
			for _, l := range d.Leaders {
				if l != nil && deref(l.LeaderID) != "" && !slices.Contains(x.leaders, deref(l.LeaderID)) {
					x.leaders = append(x.leaders, deref(l.LeaderID))
				}
			}
			if x.id != "" {
				depts = append(depts, x)
			}
		}
		if resp.Data.HasMore == nil || !*resp.Data.HasMore || deref(resp.Data.PageToken) == "" {
			break
		}
		page = deref(resp.Data.PageToken)
	}
	names := map[string]string{}
	leads := map[string]string{} // open_id → the first department they lead
	for _, d := range depts {
		names[d.id] = d.name
		for _, l := range d.leaders {
			if _, ok := leads[l]; !ok {
				leads[l] = d.name
			}
		}
	}

	var out []roster.Person
	seen := map[string]bool{}
	listed := map[string]bool{} // emails seen, by jifen.EmailKey
	for _, d := range depts {
		for page := ""; ; {
			b := larkcontact.NewFindByDepartmentUserReqBuilder().DepartmentId(d.id).DepartmentIdType("open_department_id").
				UserIdType("open_id").PageSize(50)
			if page != "" {
				b.PageToken(page)
			}
			var resp *larkcontact.FindByDepartmentUserResp
			err := a.contactCall(ctx, "users find_by_department", func() (response, error) {
				r, err := a.api.Contact.V3.User.FindByDepartment(ctx, b.Build())
				resp = r
				return r, err
			})
			if err != nil {
				return nil, err
			}
			if resp.Data == nil {
				break
			}
			for _, u := range resp.Data.Items {
				if u == nil {
					continue
				}
				id := deref(u.OpenId)
				if id == "" || seen[id] {
					continue
				}
				seen[id] = true
				p := roster.Person{ID: id, EmployeeNo: strings.TrimSpace(deref(u.EmployeeNo)), Name: cleanName(deref(u.Name)),
					Email: firstNonEmpty(deref(u.Email), deref(u.EnterpriseEmail)), Department: d.name, Inactive: inactive(u.Status)}
				if len(u.DepartmentIds) > 0 {
					if n, ok := names[u.DepartmentIds[0]]; ok {
						p.Department = n
					}
				}
				if n, ok := leads[id]; ok {
					p.Leader, p.Department = true, n
				}
				for _, e := range []string{deref(u.Email), deref(u.EnterpriseEmail)} {
					if e != "" {
						listed[jifen.EmailKey(e)] = true
					}
				}
				out = append(out, p)
			}
			if resp.Data.HasMore == nil || !*resp.Data.HasMore || deref(resp.Data.PageToken) == "" {
				break
			}
			page = deref(resp.Data.PageToken)
		}
	}

	var missing []string
	for _, e := range emails {
		if e != "" && !listed[jifen.EmailKey(e)] {
			missing = append(missing, e)
		}
	}
	found, err := a.openIDsByEmail(ctx, missing)
	if err != nil {
		return nil, err
	}
	for _, p := range found {
		if !seen[p.ID] {
			seen[p.ID] = true
			out = append(out, p)
		}
	}
	return out, nil
}

// openIDsByEmail looks emails up with contact/v3/users/batch_get_id (50 a
// call), resigned people included. People come with their open_id, email
// and status only; an email nobody in the contact range has is left out.
func (a *Adapter) openIDsByEmail(ctx context.Context, emails []string) ([]roster.Person, error) {
	var out []roster.Person
	for chunk := range slices.Chunk(emails, 50) {
		req := larkcontact.NewBatchGetIdUserReqBuilder().UserIdType("open_id").
			Body(larkcontact.NewBatchGetIdUserReqBodyBuilder().Emails(chunk).IncludeResigned(true).Build()).Build()
		var resp *larkcontact.BatchGetIdUserResp
		err := a.contactCall(ctx, "users batch_get_id", func() (response, error) {
			r, err := a.api.Contact.V3.User.BatchGetId(ctx, req)
			resp = r
			return r, err
		})
		if err != nil {
			return nil, err
		}
		if resp.Data == nil {
			continue
		}
		for _, u := range resp.Data.UserList {
			if u == nil || deref(u.UserId) == "" {
				continue
			}
			out = append(out, roster.Person{ID: deref(u.UserId), Email: deref(u.Email), Inactive: inactive(u.Status)})
		}
	}
	return out, nil
}

// response is what every Open API answer has.
type response interface {
	Success() bool
	ErrorResp() string
}

// feishuRateLimited is the Open API's code for too many requests.
const feishuRateLimited = 99991400

// contactCall runs a contact API call, waiting and trying again (five
// times at most) while the Open API says it is rate limited.
func (a *Adapter) contactCall(ctx context.Context, what string, call func() (response, error)) error {
	for attempt := 0; ; attempt++ {
		resp, err := call()
		if err != nil {
			return fmt.Errorf("feishu %s: %w", what, err)
		}
		if resp.Success() {
			return nil
		}
		if attempt < 5 && strings.Contains(resp.ErrorResp(), fmt.Sprintf(`"code":%d,`, feishuRateLimited)) {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Second << attempt):
			}
			continue
		}
		return fmt.Errorf("feishu %s: %s (check the app's contact permissions and contact range)", what, resp.ErrorResp())
	}
}

// inactive reports whether a Feishu user is resigned (离职) or frozen (暂停).
func inactive(s *larkcontact.UserStatus) bool {
	return s != nil && ((s.IsResigned != nil && *s.IsResigned) || (s.IsFrozen != nil && *s.IsFrozen))
}

// cleanName makes a profile name a member name: no control, bidi or
// zero-width characters, no spaces, '@' or '#' (people mention it).
func cleanName(s string) string {
	s = strings.Join(strings.Fields(bot.CleanText(s)), "")
	return strings.NewReplacer("@", "", "#", "").Replace(s)
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

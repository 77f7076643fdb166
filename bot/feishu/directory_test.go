package feishu

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A null in the contact API's list of a department's users (the SDK
// decodes it as a nil user) is passed over, not dereferenced.
func TestDirectorySkipsANullUser(t *testing.T) {
	h := newHarness(t, false)
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "tenant_access_token/internal"):
			fmt.Fprint(w, `{"code":0,"tenant_access_token":"t-fake","expire":7200}`)
		case strings.HasSuffix(r.URL.Path, "/departments/0/children"):
			fmt.Fprint(w, `{"code":0,"data":{"has_more":false,"items":[]}}`)
		case strings.HasSuffix(r.URL.Path, "/users/find_by_department"):
			fmt.Fprint(w, `{"code":0,"data":{"has_more":false,"items":[null,{"open_id":"ou_dir1","name":"陈静","status":{"is_activated":true}}]}}`)
		default:
			fmt.Fprint(w, `{"code":0,"data":{"user_list":[]}}`)
		}
	}))
	defer fake.Close()
	c := h.a.cfg
	c.BaseURL = fake.URL
	a, err := New(Options{Bot: h.a.bot, Store: h.st, Config: c})
	if err != nil {
		t.Fatal(err)
	}
	people, err := a.Directory(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(people) != 1 || people[0].ID != "ou_dir1" {
		t.Fatalf("directory: %+v", people)
	}
}

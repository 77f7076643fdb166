//go:build ignore

// fake-slack answers the few Slack Web API methods jifen calls when an
// unknown user runs a slash command (auth.test, users.info), for
// scripts/container-test.sh. It prints its base URL on the first line of
// standard output, then one line per call: the method and whether the bot
// token was the one given.
//
//	go run scripts/fake-slack.go -token xoxb-… [-addr 127.0.0.1:0]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "the address to listen on")
	token := flag.String("token", "", "the bot token jifen must send")
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("http://%s\n", ln.Addr())
	os.Stdout.Sync()
	const team = "T0CTEST"
	http.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		method := strings.TrimPrefix(r.URL.Path, "/api/")
		auth := "bad"
		// slack-go sends the token as a header or as a form field.
		if r.Header.Get("Authorization") == "Bearer "+*token || r.Form.Get("token") == *token {
			auth = "ok"
		}
		fmt.Printf("%s auth=%s\n", method, auth)
		w.Header().Set("Content-Type", "application/json")
		if auth != "ok" {
			json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": "invalid_auth"})
			return
		}
		var answer map[string]any
		switch method {
		case "auth.test":
			answer = map[string]any{"ok": true, "team": "Container Test", "team_id": team, "user": "jifen", "user_id": "U0JIFEN"}
		case "users.info":
			id := r.Form.Get("user")
			answer = map[string]any{"ok": true, "user": map[string]any{"id": id, "team_id": team, "name": "tester",
				"profile": map[string]any{"display_name": "tester", "real_name": "Container Tester"}}}
		default:
			answer = map[string]any{"ok": true}
		}
		json.NewEncoder(w).Encode(answer)
	})
	log.Fatal(http.Serve(ln, nil))
}

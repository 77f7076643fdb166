package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestReadyURL(t *testing.T) {
	for _, tc := range []struct{ listen, want string }{
		{":8080", "http://127.0.0.1:8080/readyz"},
		{"0.0.0.0:8080", "http://127.0.0.1:8080/readyz"},
		{"[::]:9000", "http://127.0.0.1:9000/readyz"},
		{"", "http://127.0.0.1:8080/readyz"},
		{"127.0.0.1:8081", "http://127.0.0.1:8081/readyz"},
		{"10.0.0.5:8080", "http://10.0.0.5:8080/readyz"},
		{"[::1]:8080", "http://[::1]:8080/readyz"},
		{"jifen.internal:8080", "http://jifen.internal:8080/readyz"},
	} {
		if got := readyURL(tc.listen); got != tc.want {
			t.Errorf("listen %q: got %s, want %s", tc.listen, got, tc.want)
		}
	}
}

// `jifen health` is the container's HEALTHCHECK: 0 when serve is ready,
// 1 with the failed checks when it is not or does not answer.
func TestHealthCommand(t *testing.T) {
	t.Run("a serving jifen is ready", func(t *testing.T) {
		base, stop := startServe(t, exampleConfig(t, t.TempDir()), nil)
		defer stop()
		out, errOut, code := run(t, "", "health", "--url", base+"/readyz")
		if code != 0 || !strings.HasPrefix(out, `ready: {"ready":true`) {
			t.Fatalf("exit %d: %q %q", code, out, errOut)
		}
	})

	notReady := `{"ready":false,"checks":{"store":{"ok":false,"detail":"no answer to a read within 2s"}}}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(notReady + "\n"))
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")

	t.Run("the URL comes from the config's http.listen", func(t *testing.T) {
		path := exampleConfig(t, t.TempDir(), `listen: "127.0.0.1:0"`, `listen: "`+addr+`"`)
		out, errOut, code := run(t, "", "health", "--config", path)
		if code != 1 || out != "" || !strings.Contains(errOut, "503 Service Unavailable: "+notReady) {
			t.Fatalf("exit %d: %q %q", code, out, errOut)
		}
	})

	t.Run("nothing listening", func(t *testing.T) {
		closed := httptest.NewServer(http.NotFoundHandler())
		url := closed.URL + "/readyz"
		closed.Close()
		out, errOut, code := run(t, "", "health", "--url", url)
		if code != 1 || out != "" || !strings.Contains(errOut, "jifen health: ") {
			t.Fatalf("exit %d: %q %q", code, out, errOut)
		}
	})

	t.Run("no config and no URL", func(t *testing.T) {
		t.Chdir(t.TempDir())
		_, errOut, code := run(t, "", "health")
		if code != 1 || !strings.Contains(errOut, "config.example.yaml") {
			t.Fatalf("exit %d: %q", code, errOut)
		}
	})
}

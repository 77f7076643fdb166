//go:build crash || replicas

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// The processes of the crash and replicas tests: building the programs,
// running them, starting and stopping `jifen serve`.

func build(t *testing.T, out, pkg string) {
	t.Helper()
	cmd := exec.Command("go", "build", "-o", out, pkg)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
}

func command(env []string, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	b, err := cmd.CombinedOutput()
	return string(b), err
}

// freeAddr is a loopback address with a port nobody listens on; the
// server keeps it across its restart.
func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startJifen starts `jifen serve` and waits until it answers /healthz.
func startJifen(t *testing.T, bin, cfg string, env []string, logPath, addr string) *exec.Cmd {
	t.Helper()
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logf.Close() })
	cmd := exec.Command(bin, "serve", "--config", cfg)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return cmd
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	raw, _ := os.ReadFile(logPath)
	t.Fatalf("jifen serve did not come up on %s:\n%s", addr, raw)
	return nil
}

// stopJifen stops the server as an operator would (SIGTERM) and waits for
// it to finish its background work.
func stopJifen(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("jifen serve exited: %v", err)
		}
	case <-time.After(3 * time.Minute):
		_ = cmd.Process.Kill()
		<-done
		t.Errorf("jifen serve did not stop within 3 minutes of SIGTERM")
	}
}

// writeResend writes to path, for jifen-load --resend, the deliveries of
// the sent file that got no answer in first, and every third one that
// did, as a platform may re-deliver; it returns how many.
func writeResend(t *testing.T, first []AckedAward, sent, path string) int {
	t.Helper()
	answered := map[string]bool{}
	for _, a := range first {
		answered[a.Token] = true
	}
	deliveries, err := readFile(sent, ReadDeliveries)
	if err != nil {
		t.Fatal(err)
	}
	var resend bytes.Buffer
	n := 0
	for _, d := range deliveries {
		if !answered[d.Token] || d.Seq%3 == 0 {
			line, err := json.Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			resend.Write(append(line, '\n'))
			n++
		}
	}
	if err := os.WriteFile(path, resend.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return n
}

//go:build unix

package main

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMainProcess is the jifen process of TestSecondSignalStopsAtOnce:
// main itself, with the arguments in JIFEN_TEST_MAIN (separated by \x1f).
func TestMainProcess(t *testing.T) {
	args := os.Getenv("JIFEN_TEST_MAIN")
	if args == "" {
		t.Skip("runs only as the subprocess of TestSecondSignalStopsAtOnce")
	}
	os.Args = append([]string{"jifen"}, strings.Split(args, "\x1f")...)
	main()
}

// The first SIGTERM starts a clean shutdown, bounded by
// http.shutdown_timeout; a second one, while that shutdown waits (here for
// a request whose body never comes), stops the process at once.
func TestSecondSignalStopsAtOnce(t *testing.T) {
	path, _ := withFakeSlack(t)
	cfg, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg = []byte(strings.Replace(string(cfg), "shutdown_timeout: 15s", "shutdown_timeout: 20s", 1))
	if err := os.WriteFile(path, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestMainProcess$")
	cmd.Env = append(os.Environ(), "JIFEN_TEST_MAIN=serve\x1f--config\x1f"+path)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var log []string
	waitLine := func(want string) string {
		t.Helper()
		timeout := time.After(30 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("jifen ended before logging %q:\n%s", want, strings.Join(log, "\n"))
				}
				log = append(log, l)
				if strings.Contains(l, want) {
					return l
				}
			case <-timeout:
				t.Fatalf("jifen did not log %q:\n%s", want, strings.Join(log, "\n"))
			}
		}
	}
	addr := regexp.MustCompile(`addr=(\S+)`).FindStringSubmatch(waitLine("jifen serving"))
	if addr == nil {
		t.Fatalf("no address in %q", log)
	}
	// A request that sends its headers and never its whole body holds
	// the HTTP server's shutdown until the deadline.
	conn, err := net.Dial("tcp", addr[1])
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprint(conn, "POST /slack/commands HTTP/1.1\r\nHost: jifen\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\ntoken=")

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitLine("shutting down")
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() {
		for range lines { // the pipe must be read to its end before Wait
		}
		exited <- cmd.Wait()
	}()
	select {
	case err = <-exited:
	case <-time.After(time.Minute): // a liveness bound, well past the 20 s deadline
		t.Fatal("jifen did not stop")
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("jifen exited with %v, want killed by the second SIGTERM", err)
	}
	if ws, ok := exit.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Fatalf("jifen exited with %v, want killed by the second SIGTERM", err)
	}
}

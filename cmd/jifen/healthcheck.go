package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"jifen/config"
)

// healthTimeout bounds the whole question: /readyz gives the store
// storeDeadline to answer, so a healthy server replies well within it.
const healthTimeout = 5 * time.Second

// healthCmd asks a running `jifen serve` whether it is ready: GET /readyz
// on --url, or on the loopback side of the config's http.listen. It is the
// container image's HEALTHCHECK, where there is no curl or wget; it exits 0
// on a 200 and 1 on anything else, printing the checks that failed.
func (m *Main) healthCmd(ctx context.Context, fs *flag.FlagSet, args []string) error {
	if len(args) > 0 {
		return usageError{"health takes no arguments"}
	}
	url := fs.Lookup("url").Value.String()
	if url == "" {
		cfg, err := loadConfig(fs)
		if err != nil {
			return err
		}
		url = readyURL(cfg.HTTP.Listen)
	}
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	// The answer is the checks as JSON, a few hundred bytes.
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
	fmt.Fprintf(m.Stdout, "ready: %s\n", strings.TrimSpace(string(body)))
	return nil
}

// readyURL is /readyz on the address serve listens on (http.listen), seen
// from the same host: a listen on every interface (":8080", "0.0.0.0:8080",
// "[::]:8080") is asked on the loopback.
func readyURL(listen string) string {
	if listen == "" {
		listen = config.DefaultListen
	}
	host, port, err := net.SplitHostPort(listen)
	if err != nil { // the config was validated: not reached
		return "http://" + listen + "/readyz"
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/readyz"
}

// Command jifen-load drives a running `jifen serve` over loopback the way
// Slack and Feishu do: signed slash commands (POST /slack/commands) and
// encrypted, signed im.message.receive_v1 events (POST /feishu/events),
// with the secrets, members and rule catalog of the config file the server
// runs with. The workload mixes awards, /score and /leaderboard; a share of
// deliveries is re-delivered as the platforms do (Slack: the same command
// with X-Slack-Retry-Num; Feishu: the same event_id), and deliveries that
// got no answer can be re-sent for a while (--retry-for), as across a
// server restart. Given several replicas' URLs (--url a,b,c), it sends the
// new deliveries to each in turn and every re-delivery to another replica
// than the delivery's first, as a load balancer may; the --sent and
// --acked files say which replica took each.
//
// It prints throughput, acknowledgement latency (send → HTTP response)
// percentiles and the errors by kind, and writes to --acked one line per
// answered award: the token that ends the award's reason (the ledger keeps
// the reason, so `jifen export ledger` shows it), the platform, what the
// answer said, and the idempotency key the server recorded.
//
//	jifen-load --config config.yaml --rate 1000 --duration 60s --platform slack --acked acked.tsv
//	jifen-load --config config.yaml --url http://10.0.0.1:8080,http://10.0.0.2:8080 --rate 500 --duration 60s
//	jifen-load --config config.yaml --resend sent.jsonl --acked acked2.tsv
//	jifen-load --check ledger.csv acked.tsv acked2.tsv
//	jifen-load --fake-listen 127.0.0.1:9100
//
// Other modes: --fake-listen serves a fake Slack Web API and Feishu Open
// API for the server to call during a load test; --check compares acked
// files with a ledger export.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := &Main{Stdout: os.Stdout, Stderr: os.Stderr}
	os.Exit(m.Run(ctx, os.Args[1:]))
}

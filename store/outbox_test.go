package store

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// A message is queued once per platform and key: a job run again, or a
// command delivered again, queues nothing more; another platform's copy
// is its own.
func TestEnqueueOncePerKey(t *testing.T) {
	s := openTest(t, "", time.UTC, nil)
	ctx := context.Background()
	msg := func(platform string) Outgoing {
		return Outgoing{Platform: platform, To: "m000", Body: json.RawMessage(`{"kind":"report"}`), Key: "schedule:personal:1:m000"}
	}
	for range 3 {
		if err := s.Enqueue(ctx, msg("feishu"), msg("slack")); err != nil {
			t.Fatal(err)
		}
	}
	outboxLen := func(platform string) int {
		t.Helper()
		n, err := s.OutboxLen(platform)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if f, sl := outboxLen("feishu"), outboxLen("slack"); f != 1 || sl != 1 {
		t.Fatalf("queued %d on Feishu and %d on Slack, want one each", f, sl)
	}
	due, err := s.OutboxDue("feishu", 0, time.Now(), 10)
	if err != nil || len(due) != 1 {
		t.Fatal(due, err)
	}
	// Held back after a failure, it is not due until then.
	if n, err := s.OutboxRetry(ctx, "feishu", due[0].ID, time.Now().Add(time.Hour)); n != 1 || err != nil {
		t.Fatal(n, err)
	}
	if due, _ := s.OutboxDue("feishu", 0, time.Now(), 10); len(due) != 0 {
		t.Fatalf("a held-back message is due: %v", due)
	}
	if err := s.OutboxDone(ctx, "feishu", due[0].ID); err != nil {
		t.Fatal(err)
	}
	if outboxLen("feishu") != 0 {
		t.Fatal("a sent message is still queued")
	}
	// Sent and gone, it is still not queued again within the window.
	if err := s.Enqueue(ctx, msg("feishu")); err != nil || outboxLen("feishu") != 0 {
		t.Fatalf("queued again after it was sent: %v", err)
	}
	if rep, err := s.Verify(); err != nil || !rep.OK() || rep.Outbox != 1 {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}

// Verify reports a message of the outbox that is damaged.
func TestVerifyFindsADamagedOutboxMessage(t *testing.T) {
	s := openTest(t, "", time.UTC, nil)
	if err := s.Enqueue(context.Background(), Outgoing{Platform: "slack", To: "m000", Body: json.RawMessage(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if err := s.db.Update(func(btx *bolt.Tx) error {
		return btx.Bucket(bucketOutbox).Put(outboxKey("slack", 7), []byte(`{"id":7,"platform":"slack","body":{}}`))
	}); err != nil {
		t.Fatal(err)
	}
	rep, err := s.Verify()
	if err != nil || len(rep.Problems) != 1 || !strings.Contains(rep.Problems[0], "no receiver") {
		t.Fatalf("verify: %v %v", rep.Problems, err)
	}
}

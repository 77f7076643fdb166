package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"jifen"
	"jifen/store"
	"jifen/store/pgtest"
)

// A command that queues a message notifies no one in its own transaction
// (PostgreSQL would serialize the commits of every notifying transaction
// of the cluster): the Store notifies the other replicas afterwards, once
// per platform for all the messages it queued meanwhile.
func TestEnqueueNotifiesOnceAfterTheCommands(t *testing.T) {
	t.Parallel()
	s, url := newStore(t)
	window := make(chan time.Time)
	s.listener.notices.window = func() <-chan time.Time { return window }
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // stops a hung test only
	defer cancel()
	listener := listenTo(t, ctx, url)
	// marker notifies the channel from another connection and returns the
	// payloads the listener got before it: notifications are delivered in
	// the order of their transactions' commits.
	marker := func(name string) []string {
		t.Helper()
		if _, err := s.pool.Exec(ctx, "SELECT pg_notify($1, $2)", outboxChannel, name); err != nil {
			t.Fatal(err)
		}
		var got []string
		for {
			n, err := listener.WaitForNotification(ctx)
			if err != nil {
				t.Fatalf("waiting for %s: %v", name, err)
			}
			if n.Payload == name {
				return got
			}
			got = append(got, n.Payload)
		}
	}
	const commands = 6
	for i := range commands {
		platform := []string{"slack", "feishu"}[i%2]
		if err := s.Enqueue(ctx, store.Outgoing{Platform: platform, To: fmt.Sprintf("E%d", i), Body: json.RawMessage(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	if got := marker("after the commands"); len(got) > 0 {
		t.Fatalf("the commands' transactions notified %q: each would have waited for every other notifying commit", got)
	}
	window <- time.Now()
	var got []string
	for len(got) < 2 {
		n, err := listener.WaitForNotification(ctx)
		if err != nil {
			t.Fatalf("notified %q, then: %v", got, err)
		}
		got = append(got, n.Payload)
	}
	if more := marker("after the notifications"); len(more) > 0 {
		got = append(got, more...)
	}
	slices.Sort(got)
	if !slices.Equal(got, []string{"feishu", "slack"}) {
		t.Fatalf("notified %q for %d messages on two platforms, want one notification per platform", got, commands)
	}
	if n, _ := s.OutboxLen("slack"); n != commands/2 {
		t.Fatalf("%d messages queued for slack, want %d", n, commands/2)
	}
}

// Messages queued in one transaction each get an id of their own, and a
// key queued twice in it is queued once.
func TestEnqueueSeveralInOneTransaction(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	var ids []uint64
	_, _, err := s.write(context.Background(), "", func(tx *Tx) ([]byte, error) {
		for _, key := range []string{"a", "", "a", "b", ""} {
			id, err := tx.Enqueue(store.Outgoing{Platform: "slack", To: "E1", Key: key, Body: json.RawMessage(`{}`)})
			if err != nil {
				return nil, err
			}
			ids = append(ids, id)
		}
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if ids[2] != 0 || ids[0] == 0 || ids[1] == 0 || ids[3] == 0 || ids[4] == 0 ||
		len(slices.Compact(slices.Sorted(slices.Values([]uint64{ids[0], ids[1], ids[3], ids[4]})))) != 4 {
		t.Fatalf("ids %v: want four distinct ids and 0 for the repeated key", ids)
	}
	due, err := s.OutboxDue("slack", 0, testNow, 10)
	if err != nil || len(due) != 4 {
		t.Fatalf("due %v %v", due, err)
	}
	keys := []string{}
	for _, o := range due {
		keys = append(keys, o.Key)
	}
	want := []string{"a", fmt.Sprintf("outbox:%d", ids[1]), "b", fmt.Sprintf("outbox:%d", ids[4])}
	if !slices.Equal(keys, want) {
		t.Fatalf("keys %q, want %q", keys, want)
	}
}

// The statements whose commits do not wait for the WAL flush leave the
// session as it was: the next write on the connection waits for it.
func TestAsyncCommitStaysInItsStatement(t *testing.T) {
	t.Parallel()
	u, err := url.Parse(pgtest.DB(t))
	if err != nil {
		t.Fatal(err)
	}
	// The test server may not wait for flushes at all: the store's
	// sessions do here.
	q := u.Query()
	q.Set("synchronous_commit", "on")
	u.RawQuery = q.Encode()
	s, err := Open(context.Background(), u.String(), Options{Location: shanghai, MaxConns: 1,
		Clock: jifen.ClockFunc(func() time.Time { return testNow })})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	setting := func() string {
		t.Helper()
		var v string
		if err := s.pool.QueryRow(ctx, "SHOW synchronous_commit").Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	if v := setting(); v != "on" {
		t.Fatalf("synchronous_commit is %q before, want on", v)
	}
	if _, err := s.OutboxSlot(ctx, "feishu", testNow, time.Second); err != nil {
		t.Fatal(err)
	}
	if err := s.OutboxHold(ctx, "feishu", testNow.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	s.announce("feishu")
	s.notify(time.Minute)
	if v := setting(); v != "on" {
		t.Fatalf("synchronous_commit is %q on the store's connection after a slot, a hold and a notification, want on", v)
	}
}

// A Store that closes sends the notifications it owes.
func TestCloseSendsTheNotificationsOwed(t *testing.T) {
	t.Parallel()
	s, url := newStore(t)
	s.listener.notices.window = func() <-chan time.Time { return nil }    // never
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // stops a hung test only
	defer cancel()
	listener := listenTo(t, ctx, url)
	if err := s.Enqueue(ctx, store.Outgoing{Platform: "feishu", To: "E1", Body: json.RawMessage(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	n, err := listener.WaitForNotification(ctx)
	if err != nil || n.Payload != "feishu" {
		t.Fatalf("notified %v %v, want feishu", n, err)
	}
}

// listenTo connects to url and LISTENs to the outbox's channel, as another
// replica's Store does.
func listenTo(t *testing.T, ctx context.Context, url string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	if _, err := c.Exec(ctx, "LISTEN "+outboxChannel); err != nil {
		t.Fatal(err)
	}
	return c
}

package pgtest_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"jifen/store/pgtest"
)

func TestDBIsFreshAndDroppedAfter(t *testing.T) {
	var name string
	t.Run("inner", func(t *testing.T) {
		url := pgtest.DB(t)
		c, err := pgx.Connect(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(context.Background())
		var tables int
		if err := c.QueryRow(context.Background(),
			"SELECT current_database(), (SELECT count(*) FROM pg_tables WHERE schemaname = 'public')").Scan(&name, &tables); err != nil {
			t.Fatal(err)
		}
		if tables != 0 {
			t.Fatalf("new database has %d tables", tables)
		}
		if _, err := c.Exec(context.Background(), "CREATE TABLE x (a int)"); err != nil {
			t.Fatal(err)
		}
	})
	if t.Skipped() || name == "" {
		return
	}
	// The database is gone once the subtest ended.
	admin := pgtest.DB(t)
	c, err := pgx.Connect(context.Background(), admin)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	var n int
	if err := c.QueryRow(context.Background(), "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("database %s still exists after its test", name)
	}
}

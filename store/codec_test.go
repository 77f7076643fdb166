package store

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"jifen"
)

// Every field of an entry survives the binary layout: a field added to
// jifen.Entry and not to encodeEntry fails here (each field is set to a
// value of its own by reflection), rather than vanishing from the ledger.
func TestEntryCodecKeepsEveryField(t *testing.T) {
	var e jifen.Entry
	v := reflect.ValueOf(&e).Elem()
	at := time.Date(2026, 11, 29, 12, 30, 1, 123456789, time.UTC)
	for i := range v.NumField() {
		f := v.Field(i)
		switch f.Interface().(type) {
		case time.Time:
		case jifen.EntryKind:
			f.SetString(string(jifen.KindAward))
		default:
			switch f.Kind() {
			case reflect.String:
				f.SetString(v.Type().Field(i).Name + " 文本")
			case reflect.Int, reflect.Int64:
				f.SetInt(int64(-100 - i))
			case reflect.Uint64:
				f.SetUint(uint64(1000 + i))
			default:
				t.Fatalf("field %s of kind %s: teach this test and encodeEntry about it", v.Type().Field(i).Name, f.Kind())
			}
		}
	}
	e.At, e.Effective = at, at.Add(-400*24*time.Hour-time.Nanosecond)
	for _, want := range []jifen.Entry{e, {ID: 1, Kind: jifen.KindRevoke, At: at, Effective: at, Receiver: "m1", Points: 5}} {
		var got jifen.Entry
		if err := decodeEntry(encodeEntry(&want), &got); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("decoded %+v\nwant    %+v", got, want)
		}
		// The JSON of schema 3 reads the same.
		raw, _ := json.Marshal(want)
		var old jifen.Entry
		if err := decodeEntry(raw, &old); err != nil || !reflect.DeepEqual(old, want) {
			t.Errorf("JSON decoded %+v, %v", old, err)
		}
	}
	b := encodeEntry(&e)
	for _, bad := range [][]byte{b[:len(b)-1], append(append([]byte{}, b...), 0), {entryLayout}} {
		var got jifen.Entry
		if err := decodeEntry(bad, &got); err == nil {
			t.Errorf("decodeEntry accepted a corrupt record %v", bad)
		}
	}
}

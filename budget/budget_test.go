package budget

import (
	"errors"
	"strings"
	"testing"
)

func TestLimits(t *testing.T) {
	for _, tc := range []struct {
		in                string
		rejected, records int
		allows            bool
		bad               bool
	}{
		{in: "20", rejected: 20, records: 1000, allows: true},
		{in: "20", rejected: 21, records: 1000, allows: false},
		{in: "2%", rejected: 20, records: 1000, allows: true},
		{in: "2%", rejected: 21, records: 1000, allows: false},
		{in: "0.5%", rejected: 1, records: 100, allows: false},
		{in: "0", rejected: 0, records: 5, allows: true},
		{in: "0%", rejected: 1, records: 5, allows: false},
		{in: "many", bad: true},
		{in: "-1", bad: true},
		{in: "120%", bad: true},
	} {
		l, err := ParseLimit(tc.in)
		if (err != nil) != tc.bad {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if !tc.bad && l.allows(tc.rejected, tc.records) != tc.allows {
			t.Errorf("%q: %d of %d allowed %v, want %v", tc.in, tc.rejected, tc.records, !tc.allows, tc.allows)
		}
	}
}

// A budget used up names what used it, most first; a stop rule stops at one.
func TestExceeded(t *testing.T) {
	two, _ := ParseLimit("2")
	b := Budget{Rejected: map[string]Limit{"client": two, "document": {Share: 0.5, IsShare: true}}, StopOn: []string{"duplicate-person"}}
	u := Use{}
	for i := 0; i < 10; i++ {
		u.Add("client", "", false)
		u.Add("document", "", false)
	}
	u.Add("client", "hetu-check", true)
	u.Add("client", "hetu-check", true)
	if err := b.Exceeded(u, "r.xlsx"); err != nil {
		t.Fatalf("2 of 12 clients within a budget of 2: %v", err)
	}
	u.Add("client", "required", true)
	u.Add("client", "duplicate-person", true)
	err := b.Exceeded(u, "out/r.xlsx")
	var ex *ErrExceeded
	if !errors.As(err, &ex) || len(ex.Lines) != 2 {
		t.Fatalf("want the client budget and the stop rule used up: %v", err)
	}
	msg := err.Error()
	for _, want := range []string{"client: 4 of 14 rejected, over the budget of 2 (by hetu-check (2), duplicate-person (1), required (1))",
		"rule duplicate-person, which stops the run at any reject, rejected 1", "Rejects sheet of out/r.xlsx"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the message lacks %q:\n%s", want, msg)
		}
	}
	if (Budget{}).Set() || !b.Set() {
		t.Error("Set")
	}
}

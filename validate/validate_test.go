package validate

import (
	"fmt"
	"testing"
)

// A sample takes every kind, each its share (at least one), evenly, in order.
func TestSpread(t *testing.T) {
	var cands []Candidate
	for i := 0; i < 100; i++ {
		kind := "client-document"
		switch {
		case i%20 == 0:
			kind = "client-relationship"
		case i%5 == 0:
			kind = "case"
		}
		cands = append(cands, Candidate{OID: fmt.Sprint(i), Kind: kind})
	}
	for _, tc := range []struct {
		limit int
		want  map[string]int
	}{
		{10, map[string]int{"client-relationship": 1, "case": 1, "client-document": 8}}, // 5, 15 and 80 of 100
		{3, map[string]int{"client-relationship": 1, "case": 1, "client-document": 1}},
		{2, map[string]int{"client-relationship": 1, "client-document": 1}}, // fewer than the kinds: those met first
	} {
		got := spread(cands, tc.limit)
		counts := map[string]int{}
		last := -1
		for _, c := range got {
			counts[c.Kind]++
			var n int
			fmt.Sscan(c.OID, &n)
			if n <= last {
				t.Errorf("limit %d: not in order: %v", tc.limit, got)
			}
			last = n
		}
		if len(got) > tc.limit || fmt.Sprint(counts) != fmt.Sprint(tc.want) {
			t.Errorf("limit %d: %d chosen, %v; want %v", tc.limit, len(got), counts, tc.want)
		}
	}
}

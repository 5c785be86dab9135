package profile

import (
	"strconv"
	"testing"
)

// What one column keeps is bounded whatever the number of distinct values:
// the first TrackedValues with counts, DistinctLimit hashes, and the column
// says that its distinct count is a lower bound and its values partial.
func TestColumnStateIsBounded(t *testing.T) {
	c := &column{values: map[string]int{}, hashes: map[uint64]struct{}{}, unmapped: map[string]int{}}
	n := DistinctLimit + 50000
	for i := 0; i < n; i++ {
		c.add("value-" + strconv.Itoa(i))
		c.add("common")
	}
	if len(c.values) > TrackedValues || len(c.hashes) > DistinctLimit {
		t.Fatalf("%d values and %d hashes kept", len(c.values), len(c.hashes))
	}
	out := c.finish(2*n, Options{}.withDefaults())
	if !out.DistinctMore || out.Distinct != DistinctLimit || !out.TopPartial {
		t.Errorf("distinct %d (lower bound %v), partial %v", out.Distinct, out.DistinctMore, out.TopPartial)
	}
	if len(out.Top) != 1 || out.Top[0] != (ValueCount{"common", n}) {
		t.Errorf("top %v, want only common (%d): the others are seen once", out.Top, n)
	}
}

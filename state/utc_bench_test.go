package state_test

import (
	"testing"

	"github.com/kantamig/kantamig/state"
	"github.com/kantamig/kantamig/transform/transformtest"
)

// Encoding a document's model, with its times made UTC on the way.
func BenchmarkEncodeDocument(b *testing.B) {
	doc := transformtest.PlanDocument()
	for b.Loop() {
		if _, err := state.Encode(doc); err != nil {
			b.Fatal(err)
		}
	}
}

package mapping

import (
	"os"
	"strings"
	"testing"
)

// docs/mapping.md lists every target field; this keeps the two in step.
func TestDocumentationListsEveryTargetField(t *testing.T) {
	data, err := os.ReadFile("../docs/mapping.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, tf := range Targets() {
		if !strings.Contains(string(data), "| `"+tf.Name+"` |") {
			t.Errorf("docs/mapping.md does not document %s field %q", tf.Entity, tf.Name)
		}
	}
}

package pipeline

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kantamig/kantamig/kanta"
)

// The report's count of each inference agrees with a count over the
// documents the dry-run wrote, read as bytes: case documents by their file
// names, display-only client documents by the absence of a structured form's
// contentSpecificationId, replacing versions by their reasonOfCorrection.
func TestInferencesAreCountedAsTheDocumentsShow(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rep := dryRunSamples(t, Options{DocumentsDir: dir})
	files, err := filepath.Glob(filepath.Join(dir, "*.xml"))
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(f)
		switch {
		case strings.HasPrefix(name, "case-"):
			count[kanta.InferCaseDocument]++
		case strings.HasPrefix(name, "client-document-") && !bytes.Contains(data, []byte("contentSpecificationId")):
			count[kanta.InferDisplayOnly]++
		}
		if bytes.Contains(data, []byte("reasonOfCorrection")) {
			count[kanta.InferCorrectionAsText]++
		}
	}
	for _, name := range []string{kanta.InferCaseDocument, kanta.InferDisplayOnly, kanta.InferCorrectionAsText} {
		if rep.Inferences[name] != count[name] || count[name] == 0 {
			t.Errorf("%s: the report counts %d, the documents show %d", name, rep.Inferences[name], count[name])
		}
	}
	if rep.Inferences[kanta.InferServiceRequest] != rep.InferredServiceRequests {
		t.Errorf("inferred service requests: %d in the table, %d counted", rep.Inferences[kanta.InferServiceRequest], rep.InferredServiceRequests)
	}
	t.Logf("inferences: %v over %d documents", rep.Inferences, len(files))
}

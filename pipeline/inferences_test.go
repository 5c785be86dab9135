package pipeline

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kantamig/kantamig/kanta"
)

// The report's count of each inference agrees with a count over the
// documents the dry-run wrote, read as bytes: case documents by their file
// names, display-only client documents by the absence of a structured
// form's contentSpecificationId, replacing versions by their
// reasonOfCorrection, minors' documents by their authorization (no sample
// mapping maps minor_disclosure), general types by the header's code, a
// named author by the header's assignedPerson; every document's message
// has the organisation as its performer.
func TestInferencesAreCountedAsTheDocumentsShow(t *testing.T) {
	t.Parallel()
	rep, dir := fullSample(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.xml"))
	if err != nil {
		t.Fatal(err)
	}
	generalType := regexp.MustCompile(`<code code="([0-9]+)" codeSystem="1\.2\.246\.537\.6\.1506\.`)
	count := map[string]int{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(f)
		header, _, _ := bytes.Cut(data, []byte("<component>"))
		count[kanta.InferFramePerformer]++
		switch {
		case strings.HasPrefix(name, "case-"):
			count[kanta.InferCaseDocument]++
		case strings.HasPrefix(name, "client-document-"):
			count[kanta.InferDocumentGroup]++
			if bytes.Contains(data, []byte(`<text mediaType="application/pdf"`)) {
				count[kanta.InferPDFA]++
			} else if !bytes.Contains(data, []byte("contentSpecificationId")) {
				count[kanta.InferDisplayOnly]++
			} else if onlyHeaderFacts(t, data) {
				count[kanta.InferMinimalStructure]++
			}
			if m := generalType.FindSubmatch(header); m == nil || string(m[1]) != "15" {
				count[kanta.InferGeneralType]++
			}
			if bytes.Contains(header, []byte("<assignedPerson>")) {
				count[kanta.InferSystemSignature]++
			}
		}
		if bytes.Contains(header, []byte(`<relatedDocument typeCode="APND">`)) {
			count[kanta.InferAttachment]++
		}
		if bytes.Contains(data, []byte("reasonOfCorrection")) {
			count[kanta.InferCorrectionUncoded]++
		}
		if bytes.Contains(header, []byte("<authorization>")) {
			count[kanta.InferMinorDisclosure]++
		}
	}
	for _, in := range kanta.Inferences {
		if in.Name == kanta.InferServiceRequest {
			continue
		}
		// The first sample has no scans or attachments: the third
		// sample's test counts those against its documents.
		if rep.Inferences[in.Name] != count[in.Name] || (count[in.Name] == 0 && in.Name != kanta.InferPDFA && in.Name != kanta.InferAttachment) {
			t.Errorf("%s: the report counts %d, the documents show %d", in.Name, rep.Inferences[in.Name], count[in.Name])
		}
	}
	if rep.Inferences[kanta.InferServiceRequest] != rep.InferredServiceRequests || rep.InferredServiceRequests == 0 {
		t.Errorf("inferred service requests: %d in the table, %d counted", rep.Inferences[kanta.InferServiceRequest], rep.InferredServiceRequests)
	}
	t.Logf("inferences: %v over %d documents", rep.Inferences, len(files))
}

// onlyHeaderFacts says whether a document's structured form (its hl7fi:json,
// decoded) holds nothing but what the header carries too: the client, the
// author, the service task and the social services.
func onlyHeaderFacts(t *testing.T, doc []byte) bool {
	t.Helper()
	m := regexp.MustCompile(`<hl7fi:json[^>]*>([^<]*)</hl7fi:json>`).FindSubmatch(doc)
	if m == nil {
		t.Fatal("a document with a contentSpecificationId and no hl7fi:json")
	}
	raw, err := base64.StdEncoding.DecodeString(string(bytes.Join(bytes.Fields(m[1]), nil)))
	if err != nil {
		t.Fatal(err)
	}
	var form map[string]map[string]any
	if err := json.Unmarshal(raw, &form); err != nil {
		t.Fatal(err)
	}
	for _, root := range form {
		for k := range root {
			switch k {
			case "asiakas", "laatija", "palvelutehtava", "sosiaalipalvelu":
			default:
				return false
			}
		}
	}
	return true
}

package validate

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

func section(a *txtar.Archive, name string) (string, bool) {
	for _, f := range a.Files {
		if f.Name == name {
			return string(f.Data), true
		}
	}
	return "", false
}

// Each recorded answer of the service reads as the verdict written beside it.
func TestRecordedAnswers(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "exchanges", "*.txtar"))
	n := 0
	for _, file := range files {
		a, err := txtar.ParseFile(file)
		if err != nil {
			t.Fatal(err)
		}
		status, ok := section(a, "status")
		if !ok {
			continue // the request
		}
		n++
		t.Run(filepath.Base(file), func(t *testing.T) {
			code, err := strconv.Atoi(strings.TrimSpace(status))
			if err != nil {
				t.Fatal(err)
			}
			contentType, _ := section(a, "content-type")
			body, _ := section(a, "body")
			wantVerdict, _ := section(a, "verdict")
			wantErrors, _ := section(a, "errors")
			verdict, errs := readAnswer(code, strings.TrimSpace(contentType), []byte(body))
			if verdict != strings.TrimSpace(wantVerdict) {
				t.Errorf("verdict %q, want %q (%q)", verdict, strings.TrimSpace(wantVerdict), errs)
			}
			var wantList []string
			for _, l := range strings.Split(strings.TrimSpace(wantErrors), "\n") {
				if l != "" {
					wantList = append(wantList, l)
				}
			}
			if !slices.Equal(errs, wantList) {
				t.Errorf("errors\n %q\nwant\n %q", errs, wantList)
			}
		})
	}
	if n < 8 {
		t.Fatalf("%d recorded answers found", n)
	}
}

// The request kantamig sends has the recorded request's fields, no others,
// and refuses to send what the service would misread.
func TestRequestHasTheRecordedShape(t *testing.T) {
	a, err := txtar.ParseFile(filepath.Join("testdata", "exchanges", "request.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	recorded, _ := section(a, "request.json")
	var want map[string]any
	if err := json.Unmarshal([]byte(recorded), &want); err != nil {
		t.Fatal(err)
	}
	doc := []byte("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ClinicalDocument xmlns=\"urn:hl7-org:v3\"/>\n")
	frame := []byte("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<RCMR_IN100016FI01 xmlns=\"urn:hl7-org:v3\"/>\n")
	body, err := encodeRequest("kantamig-1", "SP1", doc, frame)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	var gotKeys, wantKeys []string
	for k := range got {
		gotKeys = append(gotKeys, k)
	}
	for k := range want {
		wantKeys = append(wantKeys, k)
	}
	slices.Sort(gotKeys)
	slices.Sort(wantKeys)
	if !slices.Equal(gotKeys, wantKeys) {
		t.Errorf("fields %v, recorded %v", gotKeys, wantKeys)
	}
	if got["level"] != want["level"] || got["palveluPyynto"] != "SP1" || got["asiakirjaXml"] != string(doc) || got["siirtokehysXml"] != string(frame) {
		t.Errorf("request %s", body)
	}
	for name, bad := range map[string][2][]byte{
		"no declaration": {[]byte("<ClinicalDocument/>"), frame},
		"CRLF":           {doc, []byte("<?xml version=\"1.0\"?>\r\n<RCMR_IN100016FI01/>")},
	} {
		if _, err := encodeRequest("x", "SP1", bad[0], bad[1]); err == nil {
			t.Errorf("%s: sent", name)
		}
	}
}

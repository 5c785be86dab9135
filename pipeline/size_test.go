package pipeline

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/kantamig/kantamig/report"
)

// oversizedFixture is the small fixture with a client (5) whose family
// name has name bytes, and two documents whose texts are large:
// D2's text alone is over a limit of 50000 bytes, D3's text is under it but
// its document (the text twice, in Base64) is over.
func oversizedFixture(t *testing.T, name int) string {
	return tempMapping(t, func(dir string) {
		write := func(file, text string) {
			if err := os.WriteFile(filepath.Join(dir, file), []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		write("docs.xml", `<?xml version="1.0"?>
<x><d id="D1"><a>1</a><s>S1</s><t>SUUN</t><p>LP</p><w>2012-05-06 10:00</w><txt>Hei</txt></d>
<d id="D2"><a>1</a><s>S1</s><t>SUUN</t><p>LP</p><w>2012-05-07 10:00</w><txt>`+strings.Repeat("a", 60000)+`</txt></d>
<d id="D3"><a>1</a><s>S1</s><t>SUUN</t><p>LP</p><w>2012-05-08 10:00</w><txt>`+strings.Repeat("b", 40000)+`</txt></d></x>
`)
		data, err := os.ReadFile(filepath.Join(dir, "clients.csv"))
		if err != nil {
			t.Fatal(err)
		}
		write("clients.csv", string(data)+"5;020290-9902;;"+strings.Repeat("U", name)+";Iso;01.02.2010;LP;\n")
	})
}

// A document over the size limit is rejected at staging with its size in
// the reason, whatever its kind: a record holding more text than the limit
// before anything is built from it (a client's family name, a document's
// text), a document under it whose built form is over it, and a document
// whose message frame could be over the message limit.
func TestOversizedDocumentsOfEveryKindAreRejectedAtStaging(t *testing.T) {
	t.Parallel()
	file := oversizedFixture(t, 60000)
	rep := dryRunMapping(t, file, Options{MaxDocumentBytes: 50000})
	got := map[string]string{}
	for _, f := range rep.Rejects {
		if f.Rule == "document-too-large" {
			got[f.Entity+" "+f.Key] = f.Field + ": " + f.Reason
		}
	}
	want := map[string]string{
		"client 5":    "family_name: its client relationship holds 60",
		"document D2": "text: the document holds 60",
		"document D3": ": its archive document would be",
	}
	for k, w := range want {
		if !strings.HasPrefix(got[k], w) || !strings.Contains(got[k], "--max-document-bytes") {
			t.Errorf("%s: %q, want it to begin %q", k, got[k], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("oversized rejects: %v", got)
	}
	if c := rep.Entities["document"]; c == nil || c.WouldLoad != 1 {
		t.Errorf("documents: %+v, want D1 to load", c)
	}

	// The message limit: D1 and D3 fit, D2 does not.
	rep = dryRunMapping(t, file, Options{MaxDocumentBytes: 200000, MaxMessageBytes: 150000})
	got = map[string]string{}
	for _, f := range rep.Rejects {
		if f.Rule == "document-too-large" && f.Entity == "document" {
			got[f.Key] = f.Reason
		}
	}
	if !strings.Contains(got["D2"], "--max-message-bytes") || len(got) != 1 {
		t.Errorf("message limit: %v", got)
	}
}

// A record carried in another's document (a next of kin in the client
// relationship) that would make that document too large is refused, and
// the document is built without it.
func TestAPartThatWouldMakeItsDocumentTooLargeIsRefused(t *testing.T) {
	t.Parallel()
	file := withNextOfKin(t, "010190Y990L", nil)
	kin := filepath.Join(filepath.Dir(file), "omaiset.csv")
	if err := os.WriteFile(kin, []byte("asiakas;hetu;suku;etu;rooli\n1;010190Y990L;Testinen;"+strings.Repeat("V", 60000)+";veli\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rep := dryRunMapping(t, file, Options{MaxDocumentBytes: 50000})
	var reason string
	for _, f := range rep.Rejects {
		if f.Entity == "related_person" && f.Rule == "document-too-large" {
			reason = f.Field + ": " + f.Reason
		}
	}
	if !strings.HasPrefix(reason, "given_names: with it, the document it is carried in holds 60") {
		t.Errorf("the next of kin: %.200q; %d rejects", reason, len(rep.Rejects))
	}
	if c := rep.Entities["client"]; c == nil || c.WouldLoad != 1 {
		t.Errorf("clients: %+v, want client 1's relationship built without the next of kin", c)
	}
}

// Memory does not follow a field's size: a client's family name of 16 MiB,
// over the limit, costs a few copies of itself (reading it, the record
// holding it), not the dozens that building its document would (escaped,
// Base64, twice, in a frame). Measured as what the run allocates beyond the
// same run with a short name.
func TestAnOversizedFieldCostsAFewCopiesOfItself(t *testing.T) {
	const name = 16 << 20
	allocated := func(size int) uint64 {
		file := oversizedFixture(t, size)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		rep := dryRunMapping(t, file, Options{MaxDocumentBytes: 1 << 20})
		runtime.ReadMemStats(&after)
		if size > 1<<20 && !hasReject(rep, "5", "document-too-large") {
			t.Errorf("the name was not refused: %v", rep.Rejects)
		}
		return after.TotalAlloc - before.TotalAlloc
	}
	short := allocated(10)
	long := allocated(name)
	t.Logf("a name of %d MiB: %d MiB allocated beyond a short one", name>>20, (long-short)>>20)
	if long-short > 8*name {
		t.Errorf("a name of %d MiB allocated %d MiB more than a short one: memory follows the field", name>>20, (long-short)>>20)
	}
}

func hasReject(rep *report.Report, key, rule string) bool {
	for _, f := range rep.Rejects {
		if f.Key == key && f.Rule == rule {
			return true
		}
	}
	return false
}

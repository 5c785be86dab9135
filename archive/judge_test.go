package archive

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/kantamig/kantamig/internal/testenv"
	"github.com/kantamig/kantamig/load/sign"
	"github.com/kantamig/kantamig/transform"
	"github.com/kantamig/kantamig/transform/transformtest"
)

// A package written by a run passes; KANTAMIG_TEST_PACKAGE points at one.
func TestJudgePackageFromEnv(t *testing.T) {
	dir := os.Getenv("KANTAMIG_TEST_PACKAGE")
	if dir == "" {
		testenv.Optional(t)
	}
	res, err := JudgePackage(dir, Config{Rehearsal: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Problems {
		t.Error(p)
	}
	t.Logf("%d documents archived", res.Documents)
}

// setJudge is a judge of the documents signedSet makes: their code sets, a
// test rehearsal.
func setJudge(t *testing.T) *Judge {
	t.Helper()
	j, err := NewJudge(Config{Codes: transformtest.CodeSets(t, testenv.Sosmeta()), Rehearsal: true})
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func signedSet(t *testing.T) (map[string][]byte, map[string][]byte) {
	t.Helper()
	tr := transformtest.NewTransformer(t, testenv.Sosmeta())
	outs := transformtest.Build(t, tr)
	s, err := sign.NewThrowawaySigner("1.2.246.10.99999991.10.0", "Kuvitelman hyvinvointialue")
	if err != nil {
		t.Fatal(err)
	}
	docs, frames := map[string][]byte{}, map[string][]byte{}
	for name, out := range outs {
		signed, err := s.Sign(out.XML, out.OID, out.BodyDigest)
		if err != nil {
			t.Fatal(err)
		}
		docs[name] = signed
		frames[name] = tr.Frame(out, transform.FrameParams{MessageRoot: "1.2.3.4", MessageNumber: "1", Created: time.Now()}, signed)
	}
	return docs, frames
}

func TestJudgeEnforcesTheArchiveRules(t *testing.T) {
	docs, frames := signedSet(t)
	order := func(names ...string) error {
		j := setJudge(t)
		for _, n := range names {
			if _, err := j.Archive(docs[n], frames[n]); err != nil {
				return err
			}
		}
		return nil
	}
	good := []string{"client-relationship", "case-shared", "client-document-structured", "client-document-replacing-version", "client-document-display-only"}
	// The shared case has two clients; the second has no relationship document in the set.
	if err := order(good...); err == nil || !strings.Contains(err.Error(), "before the client relationship") {
		t.Errorf("shared case without its second client's relationship: %v", err)
	}
	cases := []struct {
		name  string
		order []string
		want  string
	}{
		{"document before its relationship", []string{"client-document-display-only"}, "before its client relationship"},
		{"replacing version before the replaced", []string{"client-relationship", "client-document-replacing-version"}, ""},
	}
	for _, c := range cases {
		if err := order(c.order...); err == nil {
			t.Errorf("%s: accepted", c.name)
		} else if c.want != "" && !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	// A frame that does not match its document.
	j := setJudge(t)
	if _, err := j.Archive(docs["client-relationship"], frames["case-shared"]); err == nil || !strings.Contains(err.Error(), "frame") {
		t.Errorf("mismatched frame: %v", err)
	}
	// The same document twice is accepted once, then as a duplicate.
	j = setJudge(t)
	if dup, err := j.Archive(docs["client-relationship"], frames["client-relationship"]); err != nil || dup {
		t.Fatalf("first: %v %v", dup, err)
	}
	if dup, err := j.Archive(docs["client-relationship"], frames["client-relationship"]); err != nil || !dup {
		t.Errorf("second: %v %v", dup, err)
	}
	// A tampered body is refused.
	bad := bytes.Replace(docs["client-relationship"], []byte(`representation="B64">PGRp`), []byte(`representation="B64">PGRq`), 1)
	if _, err := setJudge(t).Archive(bad, frames["client-relationship"]); err == nil || !strings.Contains(err.Error(), "signature") {
		t.Errorf("tampered document: %v", err)
	}
}

// The frame alone is the message: the archive takes the signed document out
// of the frame's MIME body, byte for byte, and judges it; a frame whose
// body is missing, names another document or carries a changed one is refused.
func TestTheFrameCarriesTheDocument(t *testing.T) {
	docs, frames := signedSet(t)
	for name, frame := range frames {
		inside, err := DocumentOfFrame(frame)
		if err != nil || !bytes.Equal(inside, docs[name]) {
			t.Errorf("%s: the document inside the frame is not the signed one (%v)", name, err)
		}
	}
	j := setJudge(t)
	if oid, dup, err := j.ArchiveMessage(frames["client-relationship"]); err != nil || dup || oid == "" {
		t.Fatalf("the relationship's message: %q %v %v", oid, dup, err)
	}
	frame := string(frames["client-document-display-only"])
	start := strings.Index(frame, `<text mediaType="multipart/related">`)
	end := strings.Index(frame[start:], "</text>") + start
	body := frame[start:end]
	lines := strings.Split(body, "\n")
	mid := len(lines) / 2 // a Base64 line of the document
	changed := []rune(lines[mid])
	if changed[10] == 'A' {
		changed[10] = 'B'
	} else {
		changed[10] = 'A'
	}
	lines[mid] = string(changed)
	for _, tc := range []struct{ name, frame, want string }{
		{"no MIME body", frame[:start] + `<text mediaType="multipart/related"/>` + frame[end+len("</text>"):], "no MIME-Version"},
		{"no MIME-Version", strings.Replace(frame, "MIME-Version: 1.0\n", "", 1), "no MIME-Version"},
		{"no Message-ID", strings.Replace(frame, "Message-ID:", "X-Message-ID:", 1), "no Message-ID"},
		{"a body not multipart", strings.Replace(frame, "Content-Type: multipart/related;", "Content-Type: text/plain;", 1), "not multipart/related"},
		{"another document's id", strings.Replace(frame, "Content-ID: &lt;", "Content-ID: &lt;9.", 1), "no part with Content-ID"},
		{"a changed document", frame[:start] + strings.Join(lines, "\n") + frame[end:], ""},
	} {
		_, _, err := j.ArchiveMessage([]byte(tc.frame))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want a refusal naming %q", tc.name, err, tc.want)
		}
	}
}

// An attachment (relatedDocument APND) is archived after the document it
// belongs to, of the same client; one whose document is not archived, or
// is another client's, and a relation of an unknown kind, are refused.
func TestJudgeTakesAnAttachmentAfterItsDocument(t *testing.T) {
	docs, frames := signedSet(t)
	// The shared case's second client has no relationship in the set:
	// the judge is told of it, as if archived before.
	prepared := func() *Judge {
		j := setJudge(t)
		for _, n := range []string{"client-relationship"} {
			if _, err := j.Archive(docs[n], frames[n]); err != nil {
				t.Fatal(err)
			}
		}
		d := etree.NewDocument()
		if err := d.ReadFromBytes(docs["case-shared"]); err != nil {
			t.Fatal(err)
		}
		for _, c := range recordTargets(d.Root()) {
			j.clients[c] = true
		}
		if _, err := j.Archive(docs["case-shared"], frames["case-shared"]); err != nil {
			t.Fatal(err)
		}
		return j
	}
	j := prepared()
	if _, err := j.Archive(docs["client-document-pdfa"], frames["client-document-pdfa"]); err == nil || !strings.Contains(err.Error(), "is an attachment of 1.2.246.10.99999991.95.1.3.1, which is not archived") {
		t.Errorf("an attachment before its document: %v", err)
	}
	j = prepared()
	for _, n := range []string{"client-document-structured", "client-document-pdfa"} {
		if _, err := j.Archive(docs[n], frames[n]); err != nil {
			t.Errorf("%s after its document: %v", n, err)
		}
	}
	// Related otherwise, signed as it is.
	tr := transformtest.NewTransformer(t, testenv.Sosmeta())
	out := transformtest.Build(t, tr)["client-document-pdfa"]
	s, err := sign.NewThrowawaySigner("1.2.246.10.99999991.10.0", "Kuvitelman hyvinvointialue")
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.Sign(bytes.Replace(out.XML, []byte(`typeCode="APND"`), []byte(`typeCode="XFRM"`), 1), out.OID, nil)
	if err != nil {
		t.Fatal(err)
	}
	j = prepared()
	if _, err := j.Archive(docs["client-document-structured"], frames["client-document-structured"]); err != nil {
		t.Fatal(err)
	}
	frame := tr.Frame(out, transform.FrameParams{MessageRoot: "1.2.3.4", MessageNumber: "1", Created: time.Now()}, other)
	if _, err := j.Archive(other, frame); err == nil || !strings.Contains(err.Error(), `typeCode "XFRM", which is neither`) {
		t.Errorf("a relation of typeCode XFRM: %v", err)
	}
}

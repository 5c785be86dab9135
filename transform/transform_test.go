package transform

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/kantamig/kantamig/kanta"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func sharedDir(t testing.TB) string {
	if d := os.Getenv("KANTAMIG_SHARED"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "shared")
}

func testTransformer(t testing.TB) *Transformer {
	t.Helper()
	schemas, err := LoadSchemas(filepath.Join(sharedDir(t), "sosmeta"))
	if err != nil {
		t.Fatal(err)
	}
	sets := kanta.BuiltinCodeSets()
	if err := schemas.AddTypesTo(sets.Get(kanta.SetSpecificDocumentType)); err != nil {
		t.Fatal(err)
	}
	st := sets.Get(kanta.SetServiceTask)
	st.Add("91", "Lastensuojelu (placeholder code)")
	sets.Get(kanta.SetCaseStatus).Add("92", "Käsittelyssä (placeholder code)")
	sets.Get(kanta.SetCaseName).Add("91", "Palvelutarpeen arviointi (placeholder code)")
	loc, _ := time.LoadLocation("Europe/Helsinki")
	org := kanta.Organisation{OID: "1.2.246.10.99999991.10.0", Name: "Kuvitelman hyvinvointialue"}
	return New(Settings{Custodian: org, Organiser: org, Moderator: "kantamig", Product: "kantamig", Version: "test",
		Location: loc, CodeSets: sets, Schemas: schemas})
}

func date(s string) time.Time {
	loc, _ := time.LoadLocation("Europe/Helsinki")
	t, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t, _ = time.ParseInLocation("2006-01-02", s, loc)
	}
	return t
}

var (
	unit    = kanta.Organisation{OID: "1.2.246.10.99999991.10.100", Name: "Sosiaalipalvelujen asiakasohjaus"}
	aino    = kanta.Client{IdentityCode: "150467-946P", FamilyName: "Testinen", GivenNames: "Aino Helmi", CallingName: "Aino", BirthDate: date("1967-04-15"), Sex: "2", Municipality: "092"}
	eino    = kanta.Client{IdentityCode: "290204B967J", FamilyName: "Testinen", GivenNames: "Eino", CallingName: "Eino", BirthDate: date("2004-02-29"), Sex: "1"}
	tempOne = kanta.Client{TemporaryID: "010111A998W", TemporaryOnly: true, FamilyName: "Kuvitelma", GivenNames: "Siiri", CallingName: "Siiri", BirthDate: date("2011-01-01"), Sex: "2"}
	author  = kanta.Author{RegistrationNumber: "10246974901", FamilyName: "Työntekijä", GivenNames: "Tiina", Title: "sosiaalityöntekijä"}
)

func goldenCasesDocument() kanta.Document {
	return kanta.Document{SourceKey: "D1", ClientKey: "A1", CaseKey: "S1", Client: aino, Type: "15", SpecificType: "15007", ServiceTask: "24",
		SocialServices: []string{"45"}, Author: author, DrawnUp: date("2011-03-04 10:15"), Confidentiality: "6", Unit: unit,
		Text: "Tavoitteet: arki sujuu & koulu <jatkuu>.\nSovittu \"tapaamisesta\".\n\nSeuraava arvio 6 kk päästä."}
}

// goldenCases builds one document of every kind the transform makes.
func goldenCases(t testing.TB, tr *Transformer) map[string]*Output {
	t.Helper()
	outs := map[string]*Output{}
	add := func(name string, out *Output, err error) {
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		outs[name] = out
	}
	rel := kanta.Relationship{SourceKey: "A1", Client: aino, Start: date("2010-02-01"), Old: true, Unit: unit,
		ServiceTasks: []kanta.ServiceTaskRelationship{{ServiceTask: "24", Unit: unit, Start: date("2010-02-01")}, {ServiceTask: "91", Unit: unit, Start: date("2012-05-01"), End: date("2015-01-31")}}}
	out, err := tr.Relationship(rel, IDs{Document: "1.2.246.10.99999991.95.1.1.2", Relationship: "1.2.246.10.99999991.95.1.1.1"})
	add("client-relationship", out, err)
	relTemp := kanta.Relationship{SourceKey: "A2", Client: tempOne, Start: date("2019-03-04"), End: date("2021-06-30"), EndReason: "Muutti toiselle paikkakunnalle", Old: true, Unit: unit,
		ServiceTasks: []kanta.ServiceTaskRelationship{{ServiceTask: "24", Unit: unit, Start: date("2019-03-04"), End: date("2021-06-30")}}}
	out, err = tr.Relationship(relTemp, IDs{Document: "1.2.246.10.99999991.95.1.1.4", Relationship: "1.2.246.10.99999991.95.1.1.3"})
	add("client-relationship-temporary-id", out, err)
	cs := kanta.Case{SourceKey: "S1", Name: "91", Status: "92", Opened: date("2010-02-02"), ServiceTask: "24", Unit: unit,
		Clients: []kanta.CaseClient{{ClientKey: "A1", Client: aino, Joined: date("2010-02-02")}, {ClientKey: "A3", Client: eino, Joined: date("2010-02-02")}}}
	out, err = tr.Case(cs, IDs{Document: "1.2.246.10.99999991.95.1.2.2", Case: "1.2.246.10.99999991.95.1.2.1"})
	add("case-shared", out, err)
	doc := goldenCasesDocument()
	ids := IDs{Document: "1.2.246.10.99999991.95.1.3.1", Case: "1.2.246.10.99999991.95.1.2.1", Relationship: "1.2.246.10.99999991.95.1.1.1"}
	out, err = tr.Document(doc, ids)
	add("client-document-structured", out, err)
	muu := doc
	muu.SourceKey, muu.Type, muu.SpecificType, muu.Title = "D2", "17", "", "Muistio kotikäynnistä"
	out, err = tr.Document(muu, IDs{Document: "1.2.246.10.99999991.95.1.3.2", Case: ids.Case, Relationship: ids.Relationship})
	add("client-document-display-only", out, err)
	v2 := doc
	v2.SourceKey, v2.DrawnUp, v2.Text = "D3", date("2011-03-06 09:00"), doc.Text+"\n\nKorjattu versio."
	out, err = tr.Document(v2, IDs{Document: "1.2.246.10.99999991.95.1.3.3", Set: ids.Document, Replaces: ids.Document, ReplacesVersion: 1, Case: ids.Case, Relationship: ids.Relationship})
	add("client-document-replacing-version", out, err)
	return outs
}

func TestGoldenDocuments(t *testing.T) {
	tr := testTransformer(t)
	for name, out := range goldenCases(t, tr) {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", "golden", name+".xml")
			if *update {
				if err := os.WriteFile(path, out.XML, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./transform -update to create it)", err)
			}
			if !bytes.Equal(out.XML, want) {
				t.Errorf("%s differs from its golden file; inspect, then run go test ./transform -update\n%s", name, firstDiff(want, out.XML))
			}
		})
	}
}

func firstDiff(a, b []byte) string {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := 0; i < len(al) && i < len(bl); i++ {
		if al[i] != bl[i] {
			return "line " + itoa(i+1) + ":\n- " + al[i] + "\n+ " + bl[i]
		}
	}
	return "lengths differ"
}

// body decodes the display and structured forms from a generated document.
func body(t *testing.T, doc []byte) (xhtml, js []byte) {
	t.Helper()
	d := etree.NewDocument()
	if err := d.ReadFromBytes(doc); err != nil {
		t.Fatal(err)
	}
	text := d.FindElement("//nonXMLBody/text")
	if text == nil {
		t.Fatal("no nonXMLBody/text")
	}
	xhtml, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(text.Text()), ""))
	if err != nil {
		t.Fatalf("display form is not Base64: %v", err)
	}
	if j := d.FindElement("//nonXMLBody/json"); j != nil {
		if js, err = base64.StdEncoding.DecodeString(strings.Join(strings.Fields(j.Text()), "")); err != nil {
			t.Fatalf("structured form is not Base64: %v", err)
		}
	}
	return xhtml, js
}

func TestBodiesDecodeAndValidate(t *testing.T) {
	tr := testTransformer(t)
	for name, out := range goldenCases(t, tr) {
		t.Run(name, func(t *testing.T) {
			xhtml, js := body(t, out.XML)
			if err := xml.Unmarshal(xhtml, new(any)); err != nil {
				t.Errorf("display form is not well-formed: %v", err)
			}
			if !bytes.Contains(xhtml, []byte(`class="soc-document" id="OID`+out.OID+`"`)) {
				t.Errorf("display form does not carry the document id")
			}
			wantStructured := name != "client-document-display-only"
			if (js != nil) != wantStructured {
				t.Fatalf("structured form present: %v, want %v", js != nil, wantStructured)
			}
			if js == nil {
				return
			}
			key := map[Kind]string{KindRelationship: RelationshipStructure, KindCase: CaseStructure}[out.Kind]
			if key == "" {
				key = "15007"
			}
			sch, err := tr.s.Schemas.For(key)
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(js); err != nil {
				t.Errorf("structured form does not validate: %v", err)
			}
			if !bytes.Contains(out.XML, []byte("<hl7fi:contentSpecificationId>"+sch.OID+"<")) {
				t.Errorf("header does not name the structure %s", sch.OID)
			}
		})
	}
}

func TestLegacyTextIsEscapedNotInterpreted(t *testing.T) {
	tr := testTransformer(t)
	out := goldenCases(t, tr)["client-document-display-only"]
	xhtml, _ := body(t, out.XML)
	if !bytes.Contains(xhtml, []byte("arki sujuu &amp; koulu &lt;jatkuu&gt;.<br/>Sovittu")) {
		t.Errorf("legacy text not escaped as text:\n%s", xhtml)
	}
}

func TestStructuredFormMissingRequiredIsRejected(t *testing.T) {
	tr := testTransformer(t)
	doc := kanta.Document{Client: tempOne, Type: "1", SpecificType: "1000", ServiceTask: "24", DrawnUp: date("2012-01-01"), Confidentiality: "6", Unit: unit}
	_, err := tr.Document(doc, IDs{Document: "1.2.3.4", Case: "1.2.3.5"})
	var se *StructureError
	if !errors.As(err, &se) {
		t.Fatalf("a client without identity code cannot fill 1000's asiakas.henkilotunnus; want StructureError, got %v", err)
	}
	if !strings.Contains(err.Error(), "henkilotunnus") {
		t.Errorf("error does not name what is missing: %v", err)
	}
}

// With its urn:hl7finland parts removed, every kind of document validates
// against the normative CDA R2 schema (as the archive's own samples do).
func TestDocumentsValidateAgainstCDASchema(t *testing.T) {
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		if os.Getenv("KANTAMIG_REQUIRE_TOOLS") != "" {
			t.Fatal("xmllint is required (apt-get install libxml2-utils)")
		}
		t.Skip("xmllint not installed (apt-get install libxml2-utils); skipping CDA schema validation")
	}
	xsd := filepath.Join(sharedDir(t), "schemas", "cda", "infrastructure", "cda", "CDA.xsd")
	dir := t.TempDir()
	docs := goldenCases(t, testTransformer(t))
	for name, out := range docs {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name+".xml")
			if err := os.WriteFile(path, StripFinnishExtensions(t, out.XML), 0o600); err != nil {
				t.Fatal(err)
			}
			res, err := exec.Command(xmllint, "--noout", "--schema", xsd, path).CombinedOutput()
			if err != nil {
				t.Errorf("CDA schema validation failed: %v\n%s", err, res)
			}
		})
	}
}

// StripFinnishExtensions removes the urn:hl7finland elements and the ID the
// Finnish profile adds to nonXMLBody (the signature's reference target), which
// the normative CDA schema does not know.
func StripFinnishExtensions(t testing.TB, doc []byte) []byte {
	d := etree.NewDocument()
	if err := d.ReadFromBytes(doc); err != nil {
		t.Fatal(err)
	}
	var strip func(e *etree.Element)
	strip = func(e *etree.Element) {
		for _, c := range e.ChildElements() {
			if c.NamespaceURI() == "urn:hl7finland" {
				e.RemoveChild(c)
				continue
			}
			strip(c)
		}
	}
	root := d.Root()
	strip(root)
	root.RemoveAttr("xmlns:hl7fi")
	if b := d.FindElement("//nonXMLBody"); b != nil {
		b.RemoveAttr("ID")
	}
	out, err := d.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

package transform_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/kantamig/kantamig/internal/testenv"
	"github.com/kantamig/kantamig/kanta"
	"github.com/kantamig/kantamig/transform"
	"github.com/kantamig/kantamig/transform/transformtest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// readable is a document or frame as a golden file holds it: each Base64
// part decoded in place (the display form's XHTML, the structured form's
// JSON, the frame's MIME part holding the document, itself made readable),
// so that a change reads as text. A decoded part stands between
// "<!-- decoded from Base64:" and "-->" lines.
func readable(t *testing.T, data []byte) []byte {
	t.Helper()
	b64 := regexp.MustCompile(`(representation="B64">)([A-Za-z0-9+/=\s]+)(<)`)
	out := b64.ReplaceAllFunc(data, func(m []byte) []byte {
		parts := b64.FindSubmatch(m)
		dec, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(parts[2])), ""))
		if err != nil {
			t.Fatalf("a B64 part that is not Base64: %v", err)
		}
		return []byte(string(parts[1]) + "\n<!-- decoded from Base64:\n" + string(dec) + "\n-->\n" + string(parts[3]))
	})
	mime := regexp.MustCompile(`(Content-Transfer-Encoding: BASE64\nContent-ID: &lt;[^&]*&gt;\n\n)([A-Za-z0-9+/=\n]+)(\n--)`) // in the frame's XML, < is &lt;
	return mime.ReplaceAllFunc(out, func(m []byte) []byte {
		parts := mime.FindSubmatch(m)
		dec, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(parts[2])), ""))
		if err != nil {
			t.Fatalf("a MIME part that is not Base64: %v", err)
		}
		return []byte(string(parts[1]) + "<!-- decoded from Base64:\n" + string(readable(t, dec)) + "\n-->" + string(parts[3]))
	})
}

// Every kind's document, and its message frame (the document inside, here
// unsigned), is held to a golden file, its Base64 parts decoded (readable).
func TestGoldenDocuments(t *testing.T) {
	tr := transformtest.NewTransformer(t, testenv.Sosmeta())
	created := time.Date(2026, 3, 23, 10, 54, 30, 0, time.UTC)
	for name, out := range transformtest.Build(t, tr) {
		frame := tr.Frame(out, transform.FrameParams{MessageRoot: "1.2.246.10.99999991.95.1.4", MessageNumber: "1", Created: created, ProcessingCode: "D"}, out.XML)
		for _, g := range []struct {
			file string
			got  []byte
		}{{name + ".xml", readable(t, out.XML)}, {name + ".frame.xml", readable(t, frame)}} {
			t.Run(g.file, func(t *testing.T) {
				path := filepath.Join("testdata", "golden", g.file)
				if *update {
					if err := os.WriteFile(path, g.got, 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test ./transform -update to create it)", err)
				}
				if !bytes.Equal(g.got, want) {
					t.Errorf("%s differs from its golden file; inspect, then run go test ./transform -update\n%s", g.file, firstDiff(want, g.got))
				}
			})
		}
	}
}

func firstDiff(a, b []byte) string {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := 0; i < len(al) && i < len(bl); i++ {
		if al[i] != bl[i] {
			return "line " + strconv.Itoa(i+1) + ":\n- " + al[i] + "\n+ " + bl[i]
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
	tr := transformtest.NewTransformer(t, testenv.Sosmeta())
	for name, out := range transformtest.Build(t, tr) {
		t.Run(name, func(t *testing.T) {
			xhtml, js := body(t, out.XML)
			if name == "client-document-pdfa" {
				// The body is the PDF staging made, byte for byte, alone.
				if !bytes.Equal(xhtml, transformtest.PDFA) || js != nil || !bytes.Contains(out.XML, []byte(`<text mediaType="application/pdf" representation="B64">`)) {
					t.Errorf("the PDF/A document's body is not its PDF alone (structured form: %v)", js != nil)
				}
				return
			}
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
			key := map[transform.Kind]string{transform.KindRelationship: transform.RelationshipStructure, transform.KindCase: transform.CaseStructure}[out.Kind]
			if key == "" {
				key = "15007"
			}
			schemas, err := transform.LoadSchemas(testenv.Sosmeta())
			if err != nil {
				t.Fatal(err)
			}
			sch, err := schemas.For(key)
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
	tr := transformtest.NewTransformer(t, testenv.Sosmeta())
	out := transformtest.Build(t, tr)["client-document-display-only"]
	xhtml, _ := body(t, out.XML)
	if !bytes.Contains(xhtml, []byte("arki sujuu &amp; koulu &lt;jatkuu&gt;.<br/>Sovittu")) {
		t.Errorf("legacy text not escaped as text:\n%s", xhtml)
	}
}

func TestStructuredFormMissingRequiredIsRejected(t *testing.T) {
	tr := transformtest.NewTransformer(t, testenv.Sosmeta())
	doc := kanta.Document{Client: kanta.Client{TemporaryID: "010111A998W", TemporaryOnly: true, FamilyName: "Kuvitelma", GivenNames: "Siiri"}, Type: "1", SpecificType: "1000", ServiceTask: "24", DrawnUp: time.Date(2012, 1, 1, 0, 0, 0, 0, time.UTC), Confidentiality: "6"}
	_, err := tr.Document(doc, transform.IDs{Document: "1.2.3.4", Case: "1.2.3.5"})
	var se *transform.StructureError
	if !errors.As(err, &se) {
		t.Fatalf("a client without identity code cannot fill 1000's asiakas.henkilotunnus; want transform.StructureError, got %v", err)
	}
	if !strings.Contains(err.Error(), "henkilotunnus") {
		t.Errorf("error does not name what is missing: %v", err)
	}
}

// With its urn:hl7finland parts removed, every kind of document validates
// against the normative CDA R2 schema (as the archive's own samples do).
func TestDocumentsValidateAgainstCDASchema(t *testing.T) {
	xmllint := testenv.Require(t, "xmllint", "apt-get install libxml2-utils")
	xsd := filepath.Join(testenv.Shared(), "schemas", "cda", "infrastructure", "cda", "CDA.xsd")
	dir := t.TempDir()
	docs := transformtest.Build(t, transformtest.NewTransformer(t, testenv.Sosmeta()))
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

// Contact data go into the client-relationship document; under
// non-disclosure only the phone number does (Sosmeta's note on turvakielto:
// no home municipality, no contact data but the phone number and the
// contact address). Both documents validate against the schema.
func TestContactDataAndNonDisclosure(t *testing.T) {
	tr := transformtest.NewTransformer(t, testenv.Sosmeta())
	for _, hidden := range []bool{false, true} {
		c := transformtest.TestPerson(7)
		c.Municipality, c.Street, c.Postcode, c.PostOffice = "092", "Kuvitelmankatu 1 A 2", "00100", "Helsinki"
		c.Phone, c.Email, c.NonDisclosure = "0401234567", "aino@example.invalid", hidden
		rel := kanta.Relationship{Client: c, Start: time.Date(2010, 2, 1, 0, 0, 0, 0, time.UTC), Old: true,
			Unit: kanta.Organisation{OID: "1.2.246.10.99999991.10.100", Name: "Yksikkö"}}
		out, err := tr.Relationship(rel, transform.IDs{Document: "1.2.3.3.1", Relationship: "1.2.3.1.1"})
		if err != nil {
			t.Fatalf("non-disclosure %v: %v", hidden, err)
		}
		js, display := string(out.StructuredJS), string(out.DisplayForm)
		if !strings.Contains(js, "0401234567") {
			t.Errorf("non-disclosure %v: the phone number is missing", hidden)
		}
		for _, v := range []string{"Kuvitelmankatu 1 A 2", "00100", "aino@example.invalid", `"kotikunta"`} {
			if strings.Contains(js, v) == hidden {
				t.Errorf("non-disclosure %v: %s in the structured form: %v", hidden, v, !hidden)
			}
		}
		if hidden && (strings.Contains(display, "Kuvitelmankatu") || strings.Contains(display, "aino@")) {
			t.Errorf("the display form shows contact data under non-disclosure")
		}
	}
}

// Addresses read from a table of their own follow the client's own in the
// repeated osoite, each whole, valid against the schema; under
// non-disclosure none is shown.
func TestSeveralAddresses(t *testing.T) {
	tr := transformtest.NewTransformer(t, testenv.Sosmeta())
	for _, hidden := range []bool{false, true} {
		c := transformtest.TestPerson(8)
		c.Street, c.NonDisclosure = "Ensikatu 1", hidden
		c.Addresses = []kanta.Address{{PartKey: "osoitteet:1", Street: "Toinenkatu 2", Postcode: "00200", PostOffice: "Helsinki"}, {Street: "Kesätie 3"}}
		rel := kanta.Relationship{Client: c, Start: time.Date(2010, 2, 1, 0, 0, 0, 0, time.UTC), Old: true,
			Unit: kanta.Organisation{OID: "1.2.246.10.99999991.10.100", Name: "Yksikkö"}}
		out, err := tr.Relationship(rel, transform.IDs{Document: "1.2.3.3.3", Relationship: "1.2.3.1.3"})
		if err != nil {
			t.Fatalf("non-disclosure %v: %v", hidden, err)
		}
		var doc struct {
			A struct {
				Asiakas struct {
					Yhteystiedot struct {
						Osoite []map[string]string `json:"osoite"`
					} `json:"yhteystiedot"`
				} `json:"asiakas"`
			} `json:"asiakkuusasiakirja"`
		}
		if err := json.Unmarshal(out.StructuredJS, &doc); err != nil {
			t.Fatal(err)
		}
		got := doc.A.Asiakas.Yhteystiedot.Osoite
		if hidden {
			if len(got) != 0 {
				t.Errorf("under non-disclosure the document shows addresses %v", got)
			}
			continue
		}
		want := []map[string]string{{"lahiosoite": "Ensikatu 1"}, {"lahiosoite": "Toinenkatu 2", "postinumero": "00200", "postitoimipaikka": "Helsinki"}, {"lahiosoite": "Kesätie 3"}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("addresses %v, want %v", got, want)
		}
	}
}

// Related persons go into the client-relationship document, valid against
// its schema; one under non-disclosure without contact data.
func TestRelatedPersons(t *testing.T) {
	tr := transformtest.NewTransformer(t, testenv.Sosmeta())
	rel := kanta.Relationship{Client: transformtest.TestPerson(3), Start: time.Date(2010, 2, 1, 0, 0, 0, 0, time.UTC), Old: true,
		Unit: kanta.Organisation{OID: "1.2.246.10.99999991.10.100", Name: "Yksikkö"},
		RelatedPersons: []kanta.RelatedPerson{
			{FamilyName: "Testinen", GivenNames: "Tytär", Role: "omainen", Phone: "0401111111"},
			{FamilyName: "Salainen", GivenNames: "Huoltaja", IdentityCode: transformtest.TestPerson(4).IdentityCode, Role: "huoltaja", Phone: "0402222222", NonDisclosure: true},
		}}
	out, err := tr.Relationship(rel, transform.IDs{Document: "1.2.3.3.2", Relationship: "1.2.3.1.2"})
	if err != nil {
		t.Fatal(err)
	}
	js := string(out.StructuredJS)
	for _, want := range []string{`"asiakkaaseen_liittyvat_henkilot"`, "Tytär", "omainen", "0401111111", "Salainen"} {
		if !strings.Contains(js, want) {
			t.Errorf("structured form lacks %s", want)
		}
	}
	if strings.Contains(js, "0402222222") {
		t.Error("a related person's phone under non-disclosure is in the document")
	}
}

// A document carrying a placeholder code is refused outside a test
// rehearsal, before anything could sign it; in a rehearsal it is built and
// says which code is a placeholder and why. The client-relationship and the
// structured plan document carry only national codes.
func TestPlaceholderCodesAreRefusedOutsideARehearsal(t *testing.T) {
	docs := transformtest.Build(t, transformtest.NewTransformer(t, testenv.Sosmeta()))
	for name, want := range map[string]string{
		"client-relationship":          "",
		"client-document-structured":   "",
		"case-shared":                  `code "91" of case-name`,
		"client-document-display-only": `code "17" of document-type is not confirmed nationally`,
	} {
		got := strings.Join(docs[name].Placeholders(), "; ")
		if (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("%s: placeholders %q, want %q", name, got, want)
		}
	}
	if strings.Contains(string(docs["case-shared"].XML), "1.2.246.537.6.1265.2") || strings.Contains(string(docs["case-shared"].StructuredJS), "1265.2") {
		t.Error("the case-name set is named with a version nobody stated")
	}

	strict := transformtest.NewStrictTransformer(t, testenv.Sosmeta())
	_, err := strict.Document(transformtest.DisplayOnlyDocument(), transform.IDs{Document: "1.2.246.10.99999991.95.1.3.2", Case: "1.2.246.10.99999991.95.1.2.1"})
	var pe *transform.PlaceholderError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "test_rehearsal") {
		t.Errorf("a type-17 document outside a rehearsal: %v; want a PlaceholderError", err)
	}
	if _, err := strict.Document(transformtest.PlanDocument(), transform.IDs{Document: "1.2.246.10.99999991.95.1.3.1", Case: "1.2.246.10.99999991.95.1.2.1"}); err != nil {
		t.Errorf("the plan document, national codes only: %v", err)
	}
}

// Every national rule kanta.NationalRules lists is applied: a document that
// breaks one is refused with its rule, and a document that keeps it shows so.
func TestNationalRules(t *testing.T) {
	tr := transformtest.NewTransformer(t, testenv.Sosmeta())
	unit := kanta.Organisation{OID: "1.2.246.10.99999991.10.100", Name: "Yksikkö"}
	ids := transform.IDs{Document: "1.2.3.3.1", Relationship: "1.2.3.1.1"}
	start := time.Date(2010, 2, 1, 0, 0, 0, 0, time.UTC)
	noBirth := transformtest.TestPerson(3)
	noBirth.BirthDate = time.Time{}
	for _, tc := range []struct {
		name string
		c    kanta.Client
		rule string
	}{
		{"temporary identifier only", transformtest.TempOnly, kanta.RuleOldIdentityCode},
		{"no birth date", noBirth, kanta.RuleOldBirthDate},
	} {
		_, err := tr.Relationship(kanta.Relationship{Client: tc.c, Start: start, Old: true, Unit: unit}, ids)
		var ne *transform.NationalRuleError
		if !errors.As(err, &ne) || ne.Rule != tc.rule {
			t.Errorf("%s: %v; want rule %s", tc.name, err, tc.rule)
		}
	}

	// An old relationship says so, may go without service tasks, and its
	// display form masks the identity code that the header and the
	// structured form keep whole.
	c := transformtest.TestPerson(4)
	out, err := tr.Relationship(kanta.Relationship{Client: c, Start: start, Old: true, Unit: unit}, ids)
	if err != nil {
		t.Fatalf("an old relationship without service tasks: %v", err)
	}
	js, display := string(out.StructuredJS), string(out.DisplayForm)
	if !strings.Contains(js, `"vanha_asiakkuus":true`) || strings.Contains(js, "sosiaalihuollon_palvelutehtava") {
		t.Errorf("structured form: %s", js)
	}
	masked := c.IdentityCode[:6] + "*****"
	if strings.Contains(display, c.IdentityCode) || !strings.Contains(display, masked) {
		t.Errorf("the display form shows the identity code %s, or not masked as %s", c.IdentityCode, masked)
	}
	if !strings.Contains(js, c.IdentityCode) || !strings.Contains(string(out.XML), `extension="`+c.IdentityCode+`"`) {
		t.Error("the structured form or the header lost the identity code")
	}
	for name, doc := range transformtest.Build(t, tr) {
		if strings.Contains(string(doc.DisplayForm), "150467-946P") {
			t.Errorf("%s: the display form shows an identity code unmasked", name)
		}
	}
	// Non-disclosure: TestContactDataAndNonDisclosure and TestSeveralAddresses.
}

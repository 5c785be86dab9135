// Package transformtest builds one archive document of every kind the
// transform makes, from fixed synthetic model values, for the tests of this
// and later stages (golden files, signing, verification).
package transformtest

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/kantamig/kantamig/kanta"
	"github.com/kantamig/kantamig/transform"
)

// NewTransformer makes a transformer over the Sosmeta schemas in dir, for a
// test rehearsal (placeholder codes allowed).
func NewTransformer(t testing.TB, dir string) *transform.Transformer {
	return newTransformer(t, dir, true)
}

// NewStrictTransformer is NewTransformer outside a test rehearsal: it
// refuses documents with placeholder codes.
func NewStrictTransformer(t testing.TB, dir string) *transform.Transformer {
	return newTransformer(t, dir, false)
}

// DisplayOnlyDocument is a type-17 ("Muu asiakirja", not confirmed)
// document of a client who was a minor when it was drawn up.
func DisplayOnlyDocument() kanta.Document {
	muu := PlanDocument()
	muu.SourceKey, muu.ClientKey, muu.Client, muu.Type, muu.SpecificType, muu.Title = "D2", "A3", eino, "17", "", "Muistio kotikäynnistä"
	return muu
}

// CodeSets are the code sets the set's documents are built with: the
// built-in ones, the specific types of the schemas in dir, and two
// placeholder case codes.
func CodeSets(t testing.TB, dir string) *kanta.CodeSets {
	t.Helper()
	sets, _ := codeSets(t, dir)
	return sets
}

func codeSets(t testing.TB, dir string) (*kanta.CodeSets, *transform.Schemas) {
	t.Helper()
	schemas, err := transform.LoadSchemas(dir)
	if err != nil {
		t.Fatal(err)
	}
	sets := kanta.BuiltinCodeSets()
	if err := schemas.AddTypesTo(sets.Get(kanta.SetSpecificDocumentType)); err != nil {
		t.Fatal(err)
	}
	// The case-name and case-status sets have no national export here: the
	// golden documents are a test rehearsal, their case codes placeholders.
	sets.Get(kanta.SetCaseStatus).Add("92", "Käsittelyssä (placeholder code)")
	sets.Get(kanta.SetCaseName).Add("91", "Palvelutarpeen arviointi (placeholder code)")
	return sets, schemas
}

// NewTransformerIn is NewTransformer for a legacy system in another zone.
func NewTransformerIn(t testing.TB, dir string, loc *time.Location) *transform.Transformer {
	return newTransformerIn(t, dir, true, loc)
}

func newTransformer(t testing.TB, dir string, rehearsal bool) *transform.Transformer {
	loc, _ := time.LoadLocation("Europe/Helsinki")
	return newTransformerIn(t, dir, rehearsal, loc)
}

func newTransformerIn(t testing.TB, dir string, rehearsal bool, loc *time.Location) *transform.Transformer {
	t.Helper()
	sets, schemas := codeSets(t, dir)
	org := kanta.Organisation{OID: "1.2.246.10.99999991.10.0", Name: "Kuvitelman hyvinvointialue"}
	return transform.New(transform.Settings{Custodian: org, Organiser: org, Moderator: "kantamig", Product: "kantamig", Version: "test",
		Location: loc, CodeSets: sets, Schemas: schemas, TestRehearsal: rehearsal, DisplayOnlyDocuments: true})
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
	unit = kanta.Organisation{OID: "1.2.246.10.99999991.10.100", Name: "Sosiaalipalvelujen asiakasohjaus"}
	aino = kanta.Client{IdentityCode: "150467-946P", FamilyName: "Testinen", GivenNames: "Aino Helmi", CallingName: "Aino", BirthDate: date("1967-04-15"), Sex: "2", Municipality: "092"}
	eino = kanta.Client{IdentityCode: "290204B967J", FamilyName: "Testinen", GivenNames: "Eino", CallingName: "Eino", BirthDate: date("2004-02-29"), Sex: "1"}
	// TempOnly is a client known only by a temporary identifier.
	TempOnly = kanta.Client{TemporaryID: "010111A998W", TemporaryOnly: true, FamilyName: "Kuvitelma", GivenNames: "Siiri", CallingName: "Siiri", BirthDate: date("2011-01-01"), Sex: "2"}
	author   = kanta.Author{RegistrationNumber: "10246974901", FamilyName: "Työntekijä", GivenNames: "Tiina", Title: "sosiaalityöntekijä"}
)

// PlanDocument is the structured client document of the set (a 15007 plan).
func PlanDocument() kanta.Document {
	return kanta.Document{SourceKey: "D1", ClientKey: "A1", CaseKey: "S1", Client: aino, Type: "15", SpecificType: "15007", ServiceTask: "24",
		SocialServices: []string{"45"}, Author: author, DrawnUp: date("2011-03-04 10:15"), Confidentiality: "6", Unit: unit,
		Text: "Tavoitteet: arki sujuu & koulu <jatkuu>.\nSovittu \"tapaamisesta\".\n\nSeuraava arvio 6 kk päästä."}
}

// Build makes one document of every kind with tr.
func Build(t testing.TB, tr *transform.Transformer) map[string]*transform.Output {
	t.Helper()
	outs := map[string]*transform.Output{}
	add := func(name string, out *transform.Output, err error) {
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		outs[name] = out
	}
	rel := kanta.Relationship{SourceKey: "A1", Client: aino, Start: date("2010-02-01"), Old: true, Unit: unit,
		ServiceTasks: []kanta.ServiceTaskRelationship{{ServiceTask: "24", Unit: unit, Start: date("2010-02-01")}, {ServiceTask: "10", Unit: unit, Start: date("2012-05-01"), End: date("2015-01-31")}}}
	out, err := tr.Relationship(rel, transform.IDs{Document: "1.2.246.10.99999991.95.1.1.2", Relationship: "1.2.246.10.99999991.95.1.1.1"})
	add("client-relationship", out, err)
	// A client known only by a temporary identifier has no old relationship
	// the archive takes (kanta.NationalRules): see TestNationalRules.
	cs := kanta.Case{SourceKey: "S1", Name: "91", Status: "92", Opened: date("2010-02-02"), ServiceTask: "24", Unit: unit,
		Clients: []kanta.CaseClient{{ClientKey: "A1", Client: aino, Joined: date("2010-02-02")}, {ClientKey: "A3", Client: eino, Joined: date("2010-02-02")}}}
	out, err = tr.Case(cs, transform.IDs{Document: "1.2.246.10.99999991.95.1.2.2", Case: "1.2.246.10.99999991.95.1.2.1"})
	add("case-shared", out, err)
	doc := PlanDocument()
	ids := transform.IDs{Document: "1.2.246.10.99999991.95.1.3.1", Case: "1.2.246.10.99999991.95.1.2.1", Relationship: "1.2.246.10.99999991.95.1.1.1"}
	out, err = tr.Document(doc, ids)
	add("client-document-structured", out, err)
	out, err = tr.Document(DisplayOnlyDocument(), transform.IDs{Document: "1.2.246.10.99999991.95.1.3.2", Case: ids.Case, Relationship: ids.Relationship})
	add("client-document-display-only", out, err)
	v2 := doc
	v2.SourceKey, v2.DrawnUp, v2.Text = "D3", date("2011-03-06 09:00"), doc.Text+"\n\nKorjattu versio."
	out, err = tr.Document(v2, transform.IDs{Document: "1.2.246.10.99999991.95.1.3.3", Set: ids.Document, Replaces: ids.Document, ReplacesVersion: 1, Case: ids.Case, Relationship: ids.Relationship})
	add("client-document-replacing-version", out, err)
	out, err = tr.Document(PDFADocument(), transform.IDs{Document: "1.2.246.10.99999991.95.1.3.4", Case: ids.Case, Relationship: ids.Relationship, AttachedTo: ids.Document})
	add("client-document-pdfa", out, err)
	return outs
}

// PDFA is a small PDF that claims PDF/A-1b in its XMP metadata as
// Ghostscript writes the claim. The builder and the judge read the claim,
// not the rest: package pdfa's tests convert and validate real ones.
var PDFA = []byte("%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Metadata 2 0 R >>\nendobj\n" +
	"2 0 obj\n<< /Type /Metadata /Subtype /XML /Length 118 >>\nstream\n" +
	"<rdf:Description rdf:about='' xmlns:pdfaid='http://www.aiim.org/pdfa/ns/id/' pdfaid:part='1' pdfaid:conformance='B'/>\n" +
	"endstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")

// PDFADocument is a scanned application (type 3, Hakemus) staged as PDF/A;
// Build makes it an attachment of the plan (relatedDocument APND).
func PDFADocument() kanta.Document {
	d := PlanDocument()
	d.SourceKey, d.Type, d.SpecificType, d.Title, d.Text, d.AttachedToKey = "D4", "3", "", "Hakemus (skannattu)", "", "D1"
	d.Body, d.TextFormat, d.BodyFile = PDFA, kanta.BodyPDFA, "skannatut/hakemus-2011.pdf"
	d.BodySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	d.BodyNote = "PDF (file skannatut/hakemus-2011.pdf) of 0 bytes: already PDF/A-1b, carried as it is"
	return d
}

// Documents builds the set with the schemas in dir.
func Documents(t testing.TB, dir string) map[string]*transform.Output {
	return Build(t, NewTransformer(t, dir))
}

// TestPerson is the i-th synthetic test person (0 <= i < 36,500): an
// identity code with an individual number in the test range 900–999.
func TestPerson(i int) kanta.Client {
	birth := date("1950-01-01").AddDate(0, 0, i/100)
	code := birth.Format("020106") + "-" + fmt.Sprintf("%03d", 900+i%100)
	n, _ := strconv.Atoi(birth.Format("020106") + fmt.Sprintf("%03d", 900+i%100))
	code += string("0123456789ABCDEFHJKLMNPRSTUVWXY"[n%31])
	return kanta.Client{IdentityCode: code, FamilyName: "Testinen", GivenNames: fmt.Sprintf("Henkilö %d", i), BirthDate: birth, Sex: "2"}
}

// Relationship builds the client relationship document of TestPerson(i),
// with identifiers under root: documents of distinct clients, which the
// archive takes in any order.
func Relationship(t testing.TB, tr *transform.Transformer, root string, i int) *transform.Output {
	t.Helper()
	rel := kanta.Relationship{SourceKey: fmt.Sprintf("A%d", i), Client: TestPerson(i), Start: date("2010-02-01"), Old: true, Unit: unit,
		ServiceTasks: []kanta.ServiceTaskRelationship{{ServiceTask: "24", Unit: unit, Start: date("2010-02-01")}}}
	out, err := tr.Relationship(rel, transform.IDs{Document: fmt.Sprintf("%s.3.%d", root, i+1), Relationship: fmt.Sprintf("%s.1.%d", root, i+1)})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

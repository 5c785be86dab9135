package transform

import (
	"bytes"
	"crypto/sha256"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/kantamig/kantamig/kanta"
)

// Kind is the kind of archive document.
type Kind string

// The three kinds of archive document a migration produces.
const (
	KindRelationship Kind = "client-relationship"
	KindCase         Kind = "case"
	KindDocument     Kind = "client-document"
)

// Settings are the constants of one migration that every header carries.
type Settings struct {
	Custodian kanta.Organisation
	Organiser kanta.Organisation
	Moderator string // softwareSupport
	Product   string
	Version   string
	Location  *time.Location
	CodeSets  *kanta.CodeSets
	Schemas   *Schemas
	// ServiceRequests are the mapping's service requests of case documents
	// and replacing versions; empty ones are inferred.
	ServiceRequests ServiceRequests
	// TestRehearsal builds documents with placeholder codes (each says so,
	// Output.Placeholders); otherwise such a document is refused with a
	// *PlaceholderError before anything could sign it.
	TestRehearsal bool
	// DisplayOnlyDocuments archives a client document without a Sosmeta
	// structure with the display form only, each noted (rule display-only);
	// otherwise it is refused (rule no-structure).
	DisplayOnlyDocuments bool
}

// PlaceholderError refuses a document that carries a code no real archive
// document may carry (kanta.CodeSet.Placeholder says why).
type PlaceholderError struct{ Reasons []string }

func (e *PlaceholderError) Error() string {
	return "it would carry a placeholder code: " + strings.Join(e.Reasons, "; ") +
		"; load the national code server's export under codesets:, or declare `test_rehearsal: true` to rehearse with placeholders"
}

// IDs are the identifiers a document is built with. Transform does not mint
// them: in a dry-run they are provisional, in a run the loader mints and stores them.
type IDs struct {
	Document        string // this document's OID
	Set             string // setId: the first version's OID
	Relationship    string // the client relationship's OID
	Case            string // the case's OID
	Replaces        string // OID of the version this one replaces
	ReplacesVersion int
	AttachedTo      string // OID of the document this one is an attachment of
}

// Output is an unsigned archive document and what the loader needs to know of it.
type Output struct {
	Kind         Kind
	OID          string
	SetID        string
	Version      int
	ContentSpec  string // Sosmeta OID of the structured form, "" if display only
	DisplayForm  []byte // the XHTML, before Base64
	StructuredJS []byte // the JSON, before Base64; nil if display only
	XML          []byte
	BodyDigest   []byte // SHA-256 of the nonXMLBody's exclusive canonical form
	// Notes are warnings about the document that do not stop it (the
	// report lists each with the record's locator).
	Notes    []kanta.Finding
	header   *header
	requests ServiceRequests
}

// Placeholders says, for each placeholder code the document carries, why it
// is one (empty for a document the real archive may take).
func (o *Output) Placeholders() []string { return o.header.placeholders }

// Transformer builds archive documents.
type Transformer struct {
	s         Settings
	unchecked bool
}

// Rebuilder returns a transformer for rebuilding documents that were built
// and checked before: it skips the well-formedness parse and the validation
// of the structured form against its schema. The loader uses it
// only together with a comparison against the staged document's hash, which
// proves the rebuilt bytes are the checked ones.
func (t *Transformer) Rebuilder() *Transformer {
	return &Transformer{s: t.s, unchecked: true}
}

// New makes a Transformer.
func New(s Settings) *Transformer {
	if s.Location == nil {
		s.Location = time.UTC
	}
	return &Transformer{s: s}
}

const (
	hl7fiNS       = "urn:hl7finland"
	idRootHetu    = kanta.IdentityCodeSystem
	idRootAuthor  = "1.2.246.537.26"
	soteOrgSystem = "urn:oid:1.2.246.537.6.202.2008"
)

func (t *Transformer) ts(tm time.Time) string {
	return tm.In(t.s.Location).Format("20060102150405-0700")
}

// Every time is written in the mapping's zone, whatever zone the value
// carries: a model read back from the state store holds its instants in
// UTC, and the document rebuilt for delivery must be the one staged.
// A zone whose offset has seconds (Helsinki's mean time, +1:39:49, until
// 1 May 1921) is written with its whole minutes, as HL7 TS has no seconds
// of offset; the wall clock is the legacy system's.

// day is the date of tm in the mapping's zone, as HL7 TS.
func (t *Transformer) day(tm time.Time) string { return tm.In(t.s.Location).Format("20060102") }

// isoDay is the date of tm in the mapping's zone, as the structured form has it.
func (t *Transformer) isoDay(tm time.Time) string {
	if tm.IsZero() {
		return ""
	}
	return tm.In(t.s.Location).Format("2006-01-02")
}

// code gives the attributes of a coded element, and notes a placeholder code
// on the document's header (h may be nil for the frame, which repeats the
// document's codes).
func (t *Transformer) code(h *header, set, code string) []string {
	cs := t.s.CodeSets.Get(set)
	h.notePlaceholder(cs, code)
	return []string{"code", code, "codeSystem", cs.CodeSystem(), "codeSystemName", cs.Title, "displayName", displayName(cs, code)}
}

// displayName is a code's display name; a placeholder code's says so, so that
// a rehearsal's document shows where it departs from the national codes
// wherever it is read (outside a rehearsal such a document is refused).
func displayName(cs *kanta.CodeSet, code string) string {
	d, _ := cs.Display(code)
	if cs.Placeholder(code) != "" && !strings.Contains(strings.ToLower(d), "placeholder") {
		d += " (placeholder)"
	}
	return d
}

// codeObj is a code of the structured form, noted as code does.
func (t *Transformer) codeObj(h *header, set, code string) map[string]any {
	if code == "" {
		return nil
	}
	cs := t.s.CodeSets.Get(set)
	h.notePlaceholder(cs, code)
	return map[string]any{"system": "urn:oid:" + cs.CodeSystem(), "code": code, "display": displayName(cs, code)}
}

// notePlaceholder records a code no real archive document may carry.
func (h *header) notePlaceholder(cs *kanta.CodeSet, code string) {
	if h == nil || code == "" {
		return
	}
	if why := cs.Placeholder(code); why != "" && !slices.Contains(h.placeholders, why) {
		h.placeholders = append(h.placeholders, why)
	}
}

func orgObj(o kanta.Organisation) map[string]any {
	return map[string]any{"system": soteOrgSystem, "code": o.OID, "display": o.Name}
}

// header is what varies between the kinds in the part of the CDA header
// before the localSocialHeader.
type header struct {
	kind          Kind
	ids           IDs
	version       int
	generalType   string // "" for nullFlavor
	effective     time.Time
	confidential  string
	clients       []kanta.Client
	author        *kanta.Author
	authorTime    time.Time
	caseID        string
	caseOpened    time.Time
	caseClosed    time.Time
	unit          kanta.Organisation
	group         string
	specificType  string
	serviceTask   string
	contentSpec   string
	hasStructured bool
	placeholders  []string // why each placeholder code the document carries is one
	// correction is a replacing version's reason as the legacy system
	// gives it ("" when it gives none): reasonOfCorrection is written
	// coded, with a nullFlavor while the code set is not known.
	correction  string
	consent     string // the minor-disclosure code of authorization/consent, "" for none
	consentDflt bool   // consent is kanta.MinorDisclosureDefault, not from the source
	minimal     bool   // a structured form with no legacy field mapped into it
	pdfa        bool   // the body is a PDF/A document, not a display form
}

// replacing says whether the document replaces an earlier version.
func (h *header) replacing() bool { return h.ids.Replaces != "" }

func (t *Transformer) writeHeader(w *xw, h *header) {
	w.raw(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	w.open("ClinicalDocument", "xmlns", "urn:hl7-org:v3", "xmlns:hl7fi", hl7fiNS)
	w.nl()
	w.empty("realmCode", "code", "FI")
	w.nl()
	w.empty("typeId", "root", "2.16.840.1.113883.1.3", "extension", "POCD_HD000040")
	w.nl()
	w.empty("id", "root", h.ids.Document)
	w.nl()
	if h.generalType == "" {
		w.empty("code", "nullFlavor", "NA")
	} else {
		w.empty("code", t.code(h, kanta.SetDocumentType, h.generalType)...)
	}
	w.nl()
	w.empty("effectiveTime", "value", t.ts(h.effective))
	w.nl()
	w.empty("confidentialityCode", t.code(h, kanta.SetConfidentiality, h.confidential)...)
	w.nl()
	w.empty("languageCode", "code", "fi")
	w.nl()
	w.empty("setId", "root", h.ids.Set)
	w.nl()
	w.empty("versionNumber", "value", itoa(h.version))
	w.nl()
	for _, c := range h.clients {
		t.writeRecordTarget(w, h, c)
	}
	w.open("author")
	if h.authorTime.IsZero() {
		w.empty("time", "nullFlavor", "NA")
	} else {
		w.empty("time", "value", t.ts(h.authorTime))
	}
	w.open("assignedAuthor")
	a := h.author
	if a == nil || a.RegistrationNumber == "" {
		w.empty("id", "nullFlavor", "NA")
	} else {
		w.empty("id", "root", idRootAuthor, "extension", a.RegistrationNumber)
	}
	if a != nil && (a.FamilyName != "" || a.GivenNames != "") {
		w.open("assignedPerson")
		w.open("name")
		for _, g := range strings.Fields(a.GivenNames) {
			w.elem("given", g)
		}
		w.elem("family", a.FamilyName)
		w.close("name")
		w.close("assignedPerson")
	}
	w.close("assignedAuthor")
	w.close("author")
	w.nl()
	w.open("custodian")
	w.open("assignedCustodian")
	w.open("representedCustodianOrganization")
	w.empty("id", "root", t.s.Custodian.OID)
	w.elem("name", t.s.Custodian.Name)
	w.close("representedCustodianOrganization")
	w.close("assignedCustodian")
	w.close("custodian")
	w.nl()
	if h.ids.Replaces != "" {
		// A replacing version names its predecessor (CDA relatedDocument RPLC).
		w.open("relatedDocument", "typeCode", "RPLC")
		w.open("parentDocument")
		w.empty("id", "root", h.ids.Replaces)
		w.empty("setId", "root", h.ids.Set)
		w.empty("versionNumber", "value", itoa(h.ids.ReplacesVersion))
		w.close("parentDocument")
		w.close("relatedDocument")
		w.nl()
	}
	if h.ids.AttachedTo != "" {
		// An attachment names the document it belongs to (CDA relatedDocument
		// APND, an addendum): an inference, counted.
		w.open("relatedDocument", "typeCode", "APND")
		w.open("parentDocument")
		w.empty("id", "root", h.ids.AttachedTo)
		w.close("parentDocument")
		w.close("relatedDocument")
		w.nl()
	}
	if h.consent != "" {
		// The minor's stand on disclosure to guardians, as both real
		// samples of a minor carry it (DOMAIN §3.3).
		w.open("authorization")
		w.open("consent")
		w.empty("code", t.code(h, kanta.SetMinorDisclosure, h.consent)...)
		w.empty("statusCode", "code", "completed")
		w.close("consent")
		w.close("authorization")
		w.nl()
	}
	w.open("componentOf")
	w.open("encompassingEncounter")
	if h.caseID == "" {
		w.empty("id", "nullFlavor", "NA")
	} else {
		w.empty("id", "root", h.caseID)
	}
	if h.caseOpened.IsZero() {
		w.empty("effectiveTime", "nullFlavor", "NA")
	} else {
		// Inferred: a case document carries the case's opening and closing days.
		w.open("effectiveTime")
		w.empty("low", "value", t.day(h.caseOpened))
		if !h.caseClosed.IsZero() {
			w.empty("high", "value", t.day(h.caseClosed))
		}
		w.close("effectiveTime")
	}
	if h.kind != KindRelationship {
		w.open("responsibleParty")
		w.open("assignedEntity")
		w.empty("id", "nullFlavor", "NA")
		w.open("representedOrganization")
		w.empty("id", "root", t.s.Organiser.OID)
		w.elem("name", t.s.Organiser.Name)
		w.close("representedOrganization")
		w.close("assignedEntity")
		w.close("responsibleParty")
	}
	w.open("encounterParticipant", "typeCode", "ADM")
	w.open("assignedEntity")
	w.empty("id", "nullFlavor", "NA")
	w.open("representedOrganization")
	w.empty("id", "root", h.unit.OID)
	w.elem("name", h.unit.Name)
	w.close("representedOrganization")
	w.close("assignedEntity")
	w.close("encounterParticipant")
	w.close("encompassingEncounter")
	w.close("componentOf")
	w.nl()
	t.writeLocalHeader(w, h)
}

func (t *Transformer) writeRecordTarget(w *xw, h *header, c kanta.Client) {
	w.open("recordTarget")
	w.open("patientRole")
	t.writeClientID(w, c)
	w.open("patient")
	w.open("name")
	for _, g := range strings.Fields(c.GivenNames) {
		w.elem("given", g)
	}
	if c.CallingName != "" {
		w.elem("given", c.CallingName, "qualifier", "CL")
	}
	w.elem("family", c.FamilyName)
	w.close("name")
	t.writeSexAndBirth(w, h, c)
	w.close("patient")
	w.close("patientRole")
	w.close("recordTarget")
	w.nl()
}

// writeClientID writes the client's id: the identity code, or else the
// temporary identifier under the organisation's .22 arc (inferred, DOMAIN §6).
func (t *Transformer) writeClientID(w *xw, c kanta.Client) {
	if c.IdentityCode != "" {
		w.empty("id", "root", idRootHetu, "extension", c.IdentityCode)
		return
	}
	w.empty("id", "root", t.temporaryIDSystem(), "extension", c.TemporaryID)
}

// writeSexAndBirth writes administrativeGenderCode and birthTime, where known.
func (t *Transformer) writeSexAndBirth(w *xw, h *header, c kanta.Client) {
	if c.Sex != "" {
		w.empty("administrativeGenderCode", t.code(h, kanta.SetSex, c.Sex)...)
	}
	if !c.BirthDate.IsZero() {
		w.empty("birthTime", "value", t.day(c.BirthDate))
	}
}

// temporaryIDSystem is <organisation arc>.22, inferred from the archive's
// sample (DOMAIN §6), where the year is appended by the issuing system.
func (t *Transformer) temporaryIDSystem() string {
	parts := strings.Split(t.s.Custodian.OID, ".")
	if len(parts) > 5 {
		parts = parts[:5]
	}
	return strings.Join(parts, ".") + ".22"
}

func (t *Transformer) writeLocalHeader(w *xw, h *header) {
	w.open("hl7fi:localSocialHeader")
	w.nl()
	if h.specificType != "" {
		w.empty("hl7fi:specificDocumentType", t.code(h, kanta.SetSpecificDocumentType, h.specificType)...)
		w.nl()
	}
	w.empty("hl7fi:creationTime", "value", t.ts(h.effective))
	w.nl()
	w.empty("hl7fi:documentGroup", t.code(h, kanta.SetDocumentGroup, h.group)...)
	w.nl()
	if h.pdfa {
		w.empty("hl7fi:fileFormat", t.code(h, kanta.SetDisplayFormat, t.s.CodeSets.PDFAFormat())...)
	} else {
		w.empty("hl7fi:fileFormat", "code", "2", "codeSystem", "1.2.246.537.6.1502.201601", "codeSystemName", "Sosiaalihuolto - Asiakirjan näyttömuodon formaatti", "displayName", "XHTML_1.1")
	}
	w.nl()
	if h.hasStructured {
		w.empty("hl7fi:structuredFileFormat", "code", "5", "codeSystem", "1.2.246.537.5.40179.2008", "codeSystemName", "eArkisto - Asiakirjan tiedostomuoto", "displayName", "JSON")
		w.nl()
	}
	w.empty("hl7fi:softwareSupport", "moderator", t.s.Moderator, "product", t.s.Product, "version", t.s.Version)
	w.nl()
	if h.serviceTask != "" {
		w.empty("hl7fi:functionCode", t.code(h, kanta.SetServiceTask, h.serviceTask)...)
		w.nl()
	}
	w.empty("hl7fi:recordStatus", "code", "3", "codeSystem", "1.2.246.537.5.40154.2008", "codeSystemName", "eArkisto - Asiakirjan valmistumisen tila", "displayName", "Arkistointivalmis")
	w.nl()
	w.empty("hl7fi:registryType", "code", "1", "codeSystem", "1.2.246.537.6.1264.201701", "codeSystemName", "Sosiaalihuolto - Asiakirjan rekisteritunnus", "displayName", "Sosiaalihuollon asiakasrekisteri")
	w.nl()
	w.empty("hl7fi:outsourcingServiceCustomer", "root", t.s.Organiser.OID)
	w.nl()
	w.elem("hl7fi:outsourcingServiceCustomerName", t.s.Organiser.Name)
	w.nl()
	w.empty("hl7fi:totalRetentionPeriodClass", "code", "1", "codeSystem", "1.2.246.537.6.1258.201601", "codeSystemName", "Sosiaalihuolto - asiakirjan kokonaissäilytysaika", "displayName", "Säilytetään pysyvästi")
	w.nl()
	w.empty("hl7fi:specialContent", "code", "E", "codeSystem", "1.2.246.537.6.112.2007", "codeSystemName", "AR/YDIN - Kyllä/EI/Ei tietoa", "displayName", "Ei")
	w.nl()
	if h.contentSpec != "" {
		w.elem("hl7fi:contentSpecificationId", h.contentSpec)
		w.nl()
	}
	if h.ids.Relationship != "" {
		w.empty("hl7fi:encompassingClientRelationship", "root", h.ids.Relationship)
		w.nl()
	}
	if h.replacing() {
		// Only a replacing version (DOMAIN §3.3). The template's element is
		// coded; the code set of the reasons is not known, so the code is
		// a nullFlavor: OTH, the reason is not in a known code set (its
		// text is in the display form), or NI when none is recorded.
		flavor := "NI"
		if h.correction != "" {
			flavor = "OTH"
		}
		w.empty("hl7fi:reasonOfCorrection", "nullFlavor", flavor)
		w.nl()
	}
	w.close("hl7fi:localSocialHeader")
	w.nl()
}

// writeBody writes the nonXMLBody (the display form or a PDF/A document, of
// mediaType, and the structured form)
// and returns the SHA-256 of the body's exclusive canonical form, which the
// signature covers. The canonical form differs from what is written only in
// the namespace declarations exclusive c14n puts on the body and on
// hl7fi:json, so it is hashed as it is written instead of being parsed back.
func writeBody(w *xw, oid, mediaType string, content, js []byte) [32]byte {
	h := sha256.New()
	w.open("component")
	w.nl()
	start := `<nonXMLBody ID="OID`
	w.raw(start)
	w.attrValue(oid)
	w.raw(`">`)
	from := w.b.Len()
	h.Write([]byte(`<nonXMLBody xmlns="urn:hl7-org:v3" ID="OID`))
	h.Write(w.b.Bytes()[from-len(`">`)-attrLen(oid) : from])
	w.nl()
	w.open("text", "mediaType", mediaType, "representation", "B64")
	w.base64(content)
	w.close("text")
	w.nl()
	h.Write(w.b.Bytes()[from:])
	if js != nil {
		w.raw(`<hl7fi:json representation="B64">`)
		h.Write([]byte(`<hl7fi:json xmlns:hl7fi="urn:hl7finland" representation="B64">`))
		from = w.b.Len()
		w.base64(js)
		w.close("hl7fi:json")
		w.nl()
		h.Write(w.b.Bytes()[from:])
	}
	w.close("nonXMLBody")
	h.Write([]byte("</nonXMLBody>"))
	w.nl()
	w.close("component")
	w.nl()
	w.close("ClinicalDocument")
	w.nl()
	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}

// attrLen is how many bytes attrValue writes for s.
func attrLen(s string) int {
	var w xw
	w.attrValue(s)
	return w.b.Len()
}

// ErrNotWellFormed is returned when a generated document does not parse.
var ErrNotWellFormed = errors.New("generated document is not well-formed XML")

// checkWellFormed parses XML once, end to end, checking that elements nest
// and that every character is allowed. It reads raw tokens and matches each
// end tag to its start tag itself: Token would do the same and also
// translate every name's namespace, which is a third of the cost and checks
// nothing more.
func checkWellFormed(doc []byte) error {
	d := xml.NewDecoder(bytes.NewReader(doc))
	var open []xml.Name
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			if len(open) > 0 {
				return fmt.Errorf("%w: element <%s> is not closed", ErrNotWellFormed, qualified(open[len(open)-1]))
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: %v", ErrNotWellFormed, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			open = append(open, t.Name)
		case xml.EndElement:
			if len(open) == 0 || open[len(open)-1] != t.Name {
				return fmt.Errorf("%w: unexpected end element </%s>", ErrNotWellFormed, qualified(t.Name))
			}
			open = open[:len(open)-1]
		}
	}
}

// qualified is a raw token's name as written (prefix:local).
func qualified(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}

// Inferences names the inferences the document rests on (kanta.Inferences):
// choices no national source in hand confirms, counted in the report.
func (o *Output) Inferences() []string {
	h := o.header
	out := []string{kanta.InferFramePerformer}
	if o.ServiceRequestInferred() {
		out = append(out, kanta.InferServiceRequest)
	}
	if h.replacing() {
		out = append(out, kanta.InferCorrectionUncoded)
	}
	if h.ids.AttachedTo != "" {
		out = append(out, kanta.InferAttachment)
	}
	if h.consentDflt {
		out = append(out, kanta.InferMinorDisclosure)
	}
	switch o.Kind {
	case KindCase:
		out = append(out, kanta.InferCaseDocument)
	case KindDocument:
		out = append(out, kanta.InferDocumentGroup)
		switch {
		case h.pdfa:
			out = append(out, kanta.InferPDFA)
		case o.ContentSpec == "":
			out = append(out, kanta.InferDisplayOnly)
		case h.minimal:
			out = append(out, kanta.InferMinimalStructure)
		}
		if h.generalType != "15" {
			out = append(out, kanta.InferGeneralType)
		}
		if h.author != nil && (h.author.FamilyName != "" || h.author.GivenNames != "") {
			out = append(out, kanta.InferSystemSignature)
		}
	}
	return out
}

package archive

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/kantamig/kantamig/kanta"
	"github.com/kantamig/kantamig/load/sign"
)

// Config is what a judge holds each document to beyond the order of
// arrival: the code sets and schemas the run used, the trust anchors of
// signing certificates and the processing codes it takes. The zero value
// judges with the built-in code sets and schemas, takes every processing
// code (P, D, T) and does not chain certificates.
type Config struct {
	// Codes are the code sets the run loaded (nil: the built-in ones).
	Codes *kanta.CodeSets
	// Rehearsal takes placeholder codes (a test rehearsal); each is still
	// named. Otherwise a placeholder is refused.
	Rehearsal bool
	// SchemaDir is a folder of Sosmeta schemas ("" for the built-in ones).
	SchemaDir string
	// Anchors are the certificates signing certificates must chain to (nil:
	// not chained).
	Anchors *x509.CertPool
	// ProcessingCodes are the frame processing codes taken (nil: P, D, T).
	ProcessingCodes []string
	// Organisation, when set, is the OID every system signature's
	// certificate must name (as well as the document's custodian).
	Organisation string
	// OpenCodes says the run's code sets are not known (verify without the
	// mapping): a code outside the known ones, and a placeholder, is named
	// among the placeholders, not refused (whether the run was a test
	// rehearsal is not known either). An unknown code system still is.
	OpenCodes bool
}

// Inspector judges one document and its frame on their own: what can be
// checked without the rest of the archive.
type Inspector struct {
	cfg     Config
	sets    *kanta.CodeSets
	codes   *codeBook
	schemas *Schemas
}

// NewInspector readies an inspector.
func NewInspector(cfg Config) (*Inspector, error) {
	schemas, err := LoadSchemas(cfg.SchemaDir)
	if err != nil {
		return nil, err
	}
	sets := cfg.Codes
	if sets == nil {
		sets = kanta.BuiltinCodeSets()
	}
	if cfg.ProcessingCodes == nil {
		cfg.ProcessingCodes = []string{"P", "D", "T"}
	}
	return &Inspector{cfg: cfg, sets: sets, codes: newCodeBook(sets, schemas), schemas: schemas}, nil
}

// Inspection is what an inspector found: problems the archive refuses a
// document for, and placeholder codes it carries (refused outside a test
// rehearsal).
type Inspection struct {
	Problems     []string
	Placeholders []string
}

// Refused says whether the archive refuses the document.
func (i Inspection) Refused() bool { return len(i.Problems) > 0 }

// Error joins the problems, for a refusal.
func (i Inspection) Error() string { return strings.Join(i.Problems, "; ") }

type inspection struct {
	*Inspector
	Inspection
	raw []byte // the document as sent, for its signatures
}

func (in *inspection) add(format string, args ...any) {
	in.Problems = append(in.Problems, fmt.Sprintf(format, args...))
}

func (in *inspection) code(where, system, code string) {
	v := in.codes.check(where, system, code)
	if v.unknownCode && in.cfg.OpenCodes {
		v = codeVerdict{placeholder: v.problem + " known to this check (give the run's mapping to check it against the run's code sets)"}
	}
	switch {
	case v.problem != "":
		in.add("%s", v.problem)
	case v.placeholder != "" && (in.cfg.Rehearsal || in.cfg.OpenCodes):
		in.Placeholders = append(in.Placeholders, v.placeholder)
	case v.placeholder != "":
		in.add("%s, which the archive does not take outside a test rehearsal", v.placeholder)
	}
}

// Inspect judges a signed document and the frame that carries it. A frame
// that holds another document than the one given is refused.
func (i *Inspector) Inspect(document, frame []byte) Inspection {
	in := &inspection{Inspector: i, raw: document}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(document); err != nil {
		in.add("the document is not well-formed XML: %v", err)
		return in.Inspection
	}
	root := doc.Root()
	if root == nil || root.Tag != "ClinicalDocument" || root.NamespaceURI() != "urn:hl7-org:v3" {
		in.add("the document is not an HL7 CDA ClinicalDocument in urn:hl7-org:v3")
		return in.Inspection
	}
	d := in.document(root)
	if frame != nil {
		in.frame(frame, document, d)
	}
	return in.Inspection
}

// docFacts are what the frame must repeat of its document.
type docFacts struct {
	oid, setID, version, effective, confidentiality, group, custodian string
	clients                                                           []person
}

type person struct{ id, family, given string }

func (in *inspection) document(root *etree.Element) docFacts {
	f := docFacts{
		oid: attr(root, "id", "root"), setID: attr(root, "setId", "root"), version: attr(root, "versionNumber", "value"),
		effective: attr(root, "effectiveTime", "value"), confidentiality: attr(root, "confidentialityCode", "code"),
		custodian: attr(root, "custodian/assignedCustodian/representedCustodianOrganization/id", "root"),
	}
	if attr(root, "realmCode", "code") != "FI" || attr(root, "typeId", "root") != "2.16.840.1.113883.1.3" || attr(root, "typeId", "extension") != "POCD_HD000040" {
		in.add("the document's realmCode or typeId is not the Finnish CDA R2 header's (FI, 2.16.840.1.113883.1.3 POCD_HD000040)")
	}
	for name, v := range map[string]string{"id": f.oid, "setId": f.setID, "custodian id": f.custodian} {
		if !oidPattern.MatchString(v) {
			in.add("the document's %s %q is not an OID", name, v)
		}
	}
	if n, err := strconv.Atoi(f.version); err != nil || n < 1 {
		in.add("the document's versionNumber %q is not a number from 1", f.version)
	}
	if !tsPattern.MatchString(f.effective) {
		in.add("the document's effectiveTime %q is not a time YYYYMMDDhhmmss±zzzz", f.effective)
	}
	f.clients = in.recordTargets(root.SelectElements("recordTarget"), "patientRole/id", "patientRole/patient/name", "the document")
	lshs := root.SelectElements("localSocialHeader")
	if len(lshs) != 1 || lshs[0].NamespaceURI() != nsFI {
		in.add("the document needs one hl7fi:localSocialHeader (in %s), it has %d", nsFI, len(lshs))
		return f
	}
	lsh := lshs[0]
	f.group = attr(lsh, "documentGroup", "code")
	for _, p := range checkHeader(lsh, f.group) {
		in.add("%s", p)
	}
	switch f.group {
	case "1":
	case "2", "5":
		if id := root.FindElement("componentOf/encompassingEncounter/id"); id == nil || !oidPattern.MatchString(id.SelectAttrValue("root", "")) {
			in.add("a document of group %s needs its case's OID in componentOf/encompassingEncounter/id", f.group)
		}
		if f.group == "5" && attr(root, "code", "code") == "" {
			in.add("a client document needs its general document type in code")
		}
	}
	in.minorConsent(root, f.effective)
	in.codesOf(root, "the document")
	in.body(root, lsh, f)
	in.signatures(root, lsh, f)
	return f
}

// minorConsent refuses a document of a client under 18 on its effective
// day without authorization/consent: the minor's stand on disclosure to
// guardians (1.2.246.537.6.1286), completed, which both real samples of a
// minor carry (DOMAIN §3.3). A consent of another code system is refused
// on any document.
func (in *inspection) minorConsent(root *etree.Element, effective string) {
	consent := root.FindElement("authorization/consent")
	if consent != nil {
		if sys := attr(consent, "code", "codeSystem"); !strings.HasPrefix(sys, "1.2.246.537.6.1286") || attr(consent, "statusCode", "code") != "completed" {
			in.add("authorization/consent needs a code of 1.2.246.537.6.1286 (disclosure of a minor's documents to guardians) and statusCode completed; it has %q, %q", sys, attr(consent, "statusCode", "code"))
		}
		return
	}
	if len(effective) < 8 {
		return
	}
	for _, b := range root.FindElements("recordTarget/patientRole/patient/birthTime") {
		birth := b.SelectAttrValue("value", "")
		if len(birth) < 8 {
			continue
		}
		y, err := strconv.Atoi(birth[:4])
		if err != nil {
			continue
		}
		// Of age on the 18th birthday: the day's string YYYYMMDD compares
		// as the day does (29 February of age on 1 March).
		if effective[:8] < fmt.Sprintf("%04d%s", y+18, birth[4:8]) {
			in.add("the client (born %s) was a minor on %s: the document needs authorization/consent, the minor's stand on disclosure to guardians (1.2.246.537.6.1286)", birth[:8], effective[:8])
			return
		}
	}
}

// activeContent names the first thing in a display form that runs or
// reaches outside the document: a script or another element that embeds
// or fetches (frames, objects, links to stylesheets, forms), an event
// handler attribute, or a reference (href, src, a style's url()) to
// anything but an image inside the document itself, a data: URL on an
// img, as the real plan sample's logo is ("" when there is none).
func activeContent(root *etree.Element) string {
	var found string
	var walk func(e *etree.Element)
	walk = func(e *etree.Element) {
		if found != "" {
			return
		}
		switch strings.ToLower(e.Tag) {
		case "script", "iframe", "frame", "frameset", "object", "embed", "applet", "link", "style", "form", "input", "button", "meta", "base", "svg", "video", "audio":
			found = "has a " + e.Tag + " element"
			return
		}
		for _, a := range e.Attr {
			if a.Space == "xmlns" || a.Space == "" && a.Key == "xmlns" {
				continue // a namespace name, not a reference
			}
			name, v := strings.ToLower(a.Key), strings.ToLower(strings.TrimSpace(a.Value))
			switch {
			case strings.HasPrefix(name, "on"):
				found = "has an event handler (" + a.Key + " on " + e.Tag + ")"
			case name == "src" && strings.EqualFold(e.Tag, "img") && strings.HasPrefix(v, "data:image/"):
			case name == "href" || name == "src" || strings.Contains(v, "url(") || strings.Contains(v, "javascript:"):
				found = "refers outside itself (" + a.Key + " on " + e.Tag + ")"
			}
			if found != "" {
				return
			}
		}
		for _, c := range e.ChildElements() {
			walk(c)
		}
	}
	walk(root)
	return found
}

// recordTargets reads the clients a document or frame names, checking
// each identity code.
func (in *inspection) recordTargets(rts []*etree.Element, idPath, namePath, where string) []person {
	if len(rts) == 0 {
		in.add("%s names no client (recordTarget)", where)
	}
	var out []person
	for _, rt := range rts {
		id := rt.FindElement(idPath)
		if id == nil {
			in.add("%s: a recordTarget without the client's id", where)
			continue
		}
		p := person{id: id.SelectAttrValue("extension", "")}
		if id.SelectAttrValue("root", "") == "1.2.246.21" {
			if _, err := kanta.ParseIdentityCode(p.id); err != nil {
				in.add("%s: the client's identity code %s is not valid: %v", where, kanta.MaskIdentityCode(p.id), err)
			}
		}
		if n := rt.FindElement(namePath); n != nil {
			p.family = strings.TrimSpace(elementText(n.SelectElement("family")))
			var given []string
			for _, g := range n.SelectElements("given") {
				if g.SelectAttrValue("qualifier", "") == "" {
					given = append(given, strings.TrimSpace(g.Text()))
				}
			}
			p.given = strings.Join(given, " ")
		}
		out = append(out, p)
	}
	return out
}

func elementText(e *etree.Element) string {
	if e == nil {
		return ""
	}
	return e.Text()
}

// codesOf checks every coded element outside the body against the code book.
func (in *inspection) codesOf(root *etree.Element, where string) {
	var walk func(*etree.Element, string)
	walk = func(e *etree.Element, path string) {
		if e.Tag == "nonXMLBody" || e.Tag == "Signature" {
			return
		}
		path += "/" + e.Tag
		if system := e.SelectAttrValue("codeSystem", ""); system != "" {
			in.code(where+" "+strings.TrimPrefix(path, "/"), system, e.SelectAttrValue("code", ""))
		}
		for _, c := range e.ChildElements() {
			walk(c, path)
		}
	}
	walk(root, "")
}

// body checks the nonXMLBody: the display form, and the structured form
// against the schema the header names and against the header.
func (in *inspection) body(root, lsh *etree.Element, f docFacts) {
	body := root.FindElement("component/nonXMLBody")
	if body == nil {
		in.add("the document has no component/nonXMLBody")
		return
	}
	if body.SelectAttrValue("ID", "") != "OID"+f.oid {
		in.add("the nonXMLBody's ID is %q, not OID followed by the document's id", body.SelectAttrValue("ID", ""))
	}
	text := body.SelectElement("text")
	format := attr(lsh, "fileFormat", "code")
	if text != nil && text.SelectAttrValue("mediaType", "") == "application/pdf" {
		in.pdfa(text, format, body.SelectElement("json") != nil)
		return
	}
	if format != "2" {
		in.add("the header's fileFormat is %q, not 2 (XHTML_1.1), the display form the body carries", format)
	}
	if text == nil || text.SelectAttrValue("mediaType", "") != "application/xhtml+xml" || text.SelectAttrValue("representation", "") != "B64" {
		in.add("the nonXMLBody has no display form (text, mediaType application/xhtml+xml, representation B64)")
	} else if xhtml, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(text.Text()), "")); err != nil {
		in.add("the display form is not Base64: %v", err)
	} else {
		d := etree.NewDocument()
		if err := d.ReadFromBytes(xhtml); err != nil || d.Root() == nil || d.Root().NamespaceURI() != "http://www.w3.org/1999/xhtml" {
			in.add("the display form is not well-formed XHTML (%v)", err)
		} else if p := activeContent(d.Root()); p != "" {
			in.add("the display form %s: it may hold text and its layout, nothing that runs or fetches", p)
		}
	}
	spec := strings.TrimSpace(elementText(lsh.SelectElement("contentSpecificationId")))
	js := body.SelectElement("json")
	hasFormat := lsh.SelectElement("structuredFileFormat") != nil
	if js == nil {
		if hasFormat || spec != "" {
			in.add("the header names a structured form (structuredFileFormat, contentSpecificationId) that the body does not carry")
		}
		return
	}
	if !hasFormat || spec == "" {
		in.add("the body carries a structured form, but the header has no structuredFileFormat or contentSpecificationId")
		return
	}
	raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(js.Text()), ""))
	if err != nil {
		in.add("the structured form is not Base64: %v", err)
		return
	}
	var form map[string]any
	if err := json.Unmarshal(raw, &form); err != nil {
		in.add("the structured form is not a JSON object: %v", err)
		return
	}
	sc := in.schemas.get(spec)
	switch {
	case sc.err == errNoSchema:
		in.add("contentSpecificationId %s names no Sosmeta schema the archive has", spec)
		return
	case sc.err != nil:
		in.add("the Sosmeta schema %s cannot be used: %v", spec, sc.err)
		return
	}
	for _, p := range sc.validate(raw) {
		in.add("the structured form does not match Sosmeta %s: %s", spec, p)
	}
	want := map[string]string{"1": "1.2.246.537.6.1505.1.", "2": "1.2.246.537.6.1505.2."}[f.group]
	if f.group == "5" {
		want = "1.2.246.537.6.1506."
	}
	if want != "" && !strings.HasPrefix(spec, want) {
		in.add("contentSpecificationId %s is not a schema of a document of group %s (%s…)", spec, f.group, want)
	}
	if specific := lsh.SelectElement("specificDocumentType"); specific != nil {
		code := specific.SelectAttrValue("code", "")
		if !strings.HasPrefix(spec, "1.2.246.537.6.1506."+code+".") {
			in.add("the specific document type %s is not the one contentSpecificationId %s is the schema of", code, spec)
		}
		general := attr(root, "code", "code")
		if name := in.sets.Display(kanta.SetDocumentType, general); sc.documentType != "" && name != "" && !strings.EqualFold(name, sc.documentType) {
			in.add("the general document type %s (%s) is not the type of the specific type %s, which its Sosmeta schema says is %s", general, name, code, sc.documentType)
		}
	}
	in.jsonCodes(form, "the structured form")
	in.jsonClients(form, f)
}

// pdfa checks a body that is a PDF/A document (the inferred PDF/A storage
// form): Base64 of a whole PDF that claims PDF/A-1b in its XMP metadata
// (which PDF/A-1 keeps unfiltered, so the claim is readable as it is), is
// not encrypted, and is alone in the body; the header's fileFormat is not
// the XHTML display form's. That the bytes are the ones signed is the
// signature's check.
func (in *inspection) pdfa(text *etree.Element, format string, hasJSON bool) {
	if text.SelectAttrValue("representation", "") != "B64" {
		in.add("the PDF in the nonXMLBody is not in Base64 (representation B64)")
		return
	}
	if format == "2" || format == "" {
		in.add("the header's fileFormat is %q, but the body is a PDF: it must name PDF/A", format)
	}
	if hasJSON {
		in.add("the body carries a structured form beside a PDF/A document, which holds the PDF only")
	}
	pdf, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(text.Text()), ""))
	if err != nil {
		in.add("the PDF is not Base64: %v", err)
		return
	}
	tail := pdf[max(0, len(pdf)-1024):]
	switch {
	case !bytes.HasPrefix(pdf, []byte("%PDF-1.")):
		in.add("the body marked application/pdf is not a PDF (it does not begin %%PDF-1.)")
		return
	case !bytes.Contains(tail, []byte("%%EOF")):
		in.add("the PDF is cut short: no %%%%EOF at its end")
	}
	if !pdfaClaim(pdf) {
		in.add("the PDF does not claim PDF/A-1b in its XMP metadata (pdfaid:part 1, pdfaid:conformance B)")
	}
	if pdfEncrypted.Match(pdf) {
		in.add("the PDF is encrypted, which PDF/A forbids")
	}
}

// pdfEncrypted finds an encryption dictionary's key in a trailer; the
// claims are XMP's, written as attributes or as elements.
var (
	pdfEncrypted    = regexp.MustCompile(`/Encrypt\s+\d+\s+\d+\s+R`)
	pdfaPart        = regexp.MustCompile(`pdfaid:part(?:=['"]|>)\s*1\s*['"<]`)
	pdfaConformance = regexp.MustCompile(`pdfaid:conformance(?:=['"]|>)\s*[Bb]\s*['"<]`)
)

// pdfaClaim says whether a PDF's XMP metadata claims PDF/A-1b, written as
// attributes or as elements.
func pdfaClaim(pdf []byte) bool {
	return pdfaPart.Match(pdf) && pdfaConformance.Match(pdf)
}

// jsonCodes checks the codes of the structured form whose code systems the
// archive keeps versions of.
func (in *inspection) jsonCodes(v any, where string) {
	switch x := v.(type) {
	case map[string]any:
		system, _ := x["system"].(string)
		code, hasCode := x["code"].(string)
		if s, ok := strings.CutPrefix(system, "urn:oid:"); ok && hasCode && in.codes.knows(s) {
			in.code(where, s, code)
		}
		for _, c := range x {
			in.jsonCodes(c, where)
		}
	case []any:
		for _, c := range x {
			in.jsonCodes(c, where)
		}
	}
}

// jsonClients holds the structured form's clients (the root's asiakas) to
// the header's: the same identity codes and names.
func (in *inspection) jsonClients(form map[string]any, f docFacts) {
	if len(form) != 1 {
		in.add("the structured form has %d root properties, not one", len(form))
		return
	}
	var rootObj map[string]any
	for _, v := range form {
		rootObj, _ = v.(map[string]any)
	}
	var clients []map[string]any
	switch x := rootObj["asiakas"].(type) {
	case map[string]any:
		clients = append(clients, x)
	case []any:
		for _, c := range x {
			if m, ok := c.(map[string]any); ok {
				clients = append(clients, m)
			}
		}
	}
	if len(clients) == 0 {
		return
	}
	header := map[string]person{}
	for _, c := range f.clients {
		header[c.id] = c
	}
	for _, c := range clients {
		id := ""
		if h, ok := c["henkilotunnus"].(map[string]any); ok {
			id, _ = h["value"].(string)
		}
		if id == "" {
			continue // a client known by a temporary identifier only
		}
		hp, ok := header[id]
		if !ok {
			in.add("the structured form's client %s is not a client the header names", kanta.MaskIdentityCode(id))
			continue
		}
		family, _ := c["sukunimi"].(string)
		given, _ := c["etunimet"].(string)
		if hp.family != "" && !strings.EqualFold(strings.TrimSpace(family), hp.family) || hp.given != "" && !strings.EqualFold(strings.TrimSpace(given), hp.given) {
			in.add("the structured form names client %s otherwise than the header", kanta.MaskIdentityCode(id))
		}
	}
	if len(f.clients) == 1 && len(clients) >= 1 {
		found := false
		for _, c := range clients {
			if h, ok := c["henkilotunnus"].(map[string]any); ok && h["value"] == f.clients[0].id {
				found = true
			}
		}
		if !found {
			if h, ok := clients[0]["henkilotunnus"].(map[string]any); ok && h["value"] != nil {
				in.add("the header's client %s is not the structured form's", kanta.MaskIdentityCode(f.clients[0].id))
			}
		}
	}
}

// signatures verifies every signature and holds each signer to the
// document: a system signature (type 3) is the custodian's, whose OID is
// its certificate's subject serialNumber; a professional's (type 1) is the
// author's, by registration number. With trust anchors, the certificate
// chains to one; it must be valid when the signature was made.
func (in *inspection) signatures(root, lsh *etree.Element, f docFacts) {
	results, err := sign.Verify(in.raw)
	if err != nil {
		in.add("signature: %v", err)
		return
	}
	for _, r := range results {
		if r.Err != nil {
			in.add("signature %s: %v", r.ID, r.Err)
			continue
		}
		if p := in.signer(r, lsh, root, f); p != "" {
			in.add("signature %s: %s", r.ID, p)
		}
	}
}

func (in *inspection) signer(r sign.Result, lsh, root *etree.Element, f docFacts) string {
	cert := r.Certificate
	at, err := time.Parse(time.RFC3339Nano, r.Timestamp)
	if err != nil {
		return fmt.Sprintf("its timestamp %q is not a time", r.Timestamp)
	}
	if at.Before(cert.NotBefore) || at.After(cert.NotAfter) {
		return fmt.Sprintf("its certificate (%s) was not valid when it signed (%s; valid %s to %s)", cert.Subject, at.Format(time.RFC3339), cert.NotBefore.Format("2006-01-02"), cert.NotAfter.Format("2006-01-02"))
	}
	if cert.KeyUsage&(x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment) == 0 {
		return fmt.Sprintf("its certificate (%s) is not for signatures (key usage)", cert.Subject)
	}
	switch r.Type {
	case sign.TypeSystem:
		if cert.Subject.SerialNumber != f.custodian {
			return fmt.Sprintf("a system signature by %q (serialNumber %q), not by the custodian %s", cert.Subject.String(), cert.Subject.SerialNumber, f.custodian)
		}
		if o := in.cfg.Organisation; o != "" && cert.Subject.SerialNumber != o {
			return fmt.Sprintf("a system signature by %q (serialNumber %q), not by the organisation %s", cert.Subject.String(), cert.Subject.SerialNumber, o)
		}
	case "1":
		signer := strings.TrimSpace(elementText(lsh.FindElement("signature/assignedAuthorSigner")))
		if signer == "" {
			signer = attr(root, "author/assignedAuthor/id", "extension")
		}
		if cert.Subject.SerialNumber != signer {
			return fmt.Sprintf("a professional's signature by serialNumber %q, not by the author %q", cert.Subject.SerialNumber, signer)
		}
	default:
		return fmt.Sprintf("signature type %q is neither a professional's (1) nor a system signature (3)", r.Type)
	}
	if in.cfg.Anchors != nil {
		if _, err := cert.Verify(x509.VerifyOptions{Roots: in.cfg.Anchors, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
			return fmt.Sprintf("its certificate (%s) does not chain to a trust anchor: %v", cert.Subject, err)
		}
	}
	return ""
}

// frame checks the message frame against its document.
func (in *inspection) frame(frame, document []byte, f docFacts) {
	fr := etree.NewDocument()
	if err := fr.ReadFromBytes(frame); err != nil {
		in.add("the frame is not well-formed XML: %v", err)
		return
	}
	root := fr.Root()
	if root == nil || root.Tag != "RCMR_IN200002FI01" || root.NamespaceURI() != "urn:hl7-org:v3" ||
		attr(root, "interactionId", "extension") != "RCMR_IN200002FI01" {
		in.add("the frame is not an RCMR_IN200002FI01 archiving message in urn:hl7-org:v3")
		return
	}
	if pc := attr(root, "processingCode", "code"); !contains(in.cfg.ProcessingCodes, pc) {
		in.add("the frame's processing code %q is not one this archive takes (%s)", pc, strings.Join(in.cfg.ProcessingCodes, ", "))
	}
	if s := attr(root, "sender/device/id", "root"); s != f.custodian {
		in.add("the frame's sender %q is not the custodian %s", s, f.custodian)
	}
	cap := root.SelectElement("controlActProcess")
	if cap == nil {
		in.add("the frame has no controlActProcess")
		return
	}
	sr := ""
	for _, rc := range cap.SelectElements("reasonCode") {
		if strings.HasPrefix(rc.SelectAttrValue("codeSystem", ""), "1.2.246.537.6.1503.") {
			sr = rc.SelectAttrValue("code", "")
		}
	}
	if want := map[string]string{"1": "SP1", "2": "SP17", "5": "SP17"}[f.group]; want != "" && sr != want {
		in.add("the frame's service request %q does not archive a document of group %s (%s)", sr, f.group, want)
	}
	if org := cap.FindElement("authorOrPerformer/assignedPerson/representedOrganization/id"); org == nil || !oidPattern.MatchString(org.SelectAttrValue("root", "")) {
		in.add("the frame has no author (controlActProcess/authorOrPerformer with its organisation)")
	}
	in.codesOf(root, "the frame")
	cd := cap.FindElement("subject/clinicalDocument")
	if cd == nil {
		in.add("the frame has no subject/clinicalDocument")
		return
	}
	for name, pair := range map[string][2]string{
		"id": {attr(cd, "id", "root"), f.oid}, "setId": {attr(cd, "setId", "root"), f.setID}, "versionNumber": {attr(cd, "versionNumber", "value"), f.version},
		"effectiveTime": {attr(cd, "effectiveTime", "value"), f.effective}, "confidentialityCode": {attr(cd, "confidentialityCode", "code"), f.confidentiality},
	} {
		if pair[0] != pair[1] {
			in.add("the frame's clinicalDocument %s %q differs from the document's %q", name, pair[0], pair[1])
		}
	}
	if c := cd.FindElement("custodian/assignedCustodian/representedOrganization/id"); c == nil || c.SelectAttrValue("root", "") != f.custodian {
		in.add("the frame's custodian is not the document's %s", f.custodian)
	}
	if cd.SelectElement("author") == nil {
		in.add("the frame's clinicalDocument has no author")
	}
	clients := in.recordTargets(cd.SelectElements("recordTarget"), "patient/id", "patient/patientPerson/name", "the frame")
	if len(clients) != len(f.clients) {
		in.add("the frame names %d client(s), the document %d", len(clients), len(f.clients))
	}
	for i := range min(len(clients), len(f.clients)) {
		a, b := clients[i], f.clients[i]
		if a.id != b.id {
			in.add("the frame's client %s is not the document's %s", kanta.MaskIdentityCode(a.id), kanta.MaskIdentityCode(b.id))
		} else if a.family != b.family || a.given != b.given {
			in.add("the frame names client %s otherwise than the document", kanta.MaskIdentityCode(a.id))
		}
	}
	inside, err := DocumentOfFrame(frame)
	if err != nil {
		in.add("%v", err)
	} else if !bytes.Equal(inside, document) {
		in.add("the frame's MIME part holds another document than the one sent")
	}
}

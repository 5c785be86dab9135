package archive

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/xml"
	"math/big"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kantamig/kantamig/internal/testenv"
	"github.com/kantamig/kantamig/load/sign"
	"github.com/kantamig/kantamig/transform"
	"github.com/kantamig/kantamig/transform/transformtest"
)

const custodian = "1.2.246.10.99999991.10.0"

// testCA is a certificate authority made for a test, standing in for DVV's.
type testCA struct {
	key  *rsa.PrivateKey
	cert *x509.Certificate
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kantamig TEST service certificates CA"},
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().AddDate(5, 0, 0), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{key: key, cert: cert}
}

func (ca *testCA) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// signer issues a service certificate to an organisation and returns a
// signer with it, its clock at signAt (zero: now).
func (ca *testCA) signer(t *testing.T, org string, notBefore, notAfter, signAt time.Time) *sign.Signer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{SerialNumber: org, Organization: []string{"Kuvitelman hyvinvointialue"}, CommonName: "Potilastietojärjestelmä"},
		NotBefore: notBefore, NotAfter: notAfter, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	s, err := sign.NewSigner(key, cert)
	if err != nil {
		t.Fatal(err)
	}
	if !signAt.IsZero() {
		s.SetClock(func() time.Time { return signAt })
	}
	return s
}

// corpus holds the valid documents of every kind, unsigned and framed, and
// a signer whose certificate chains to the test CA.
type corpus struct {
	t      *testing.T
	ca     *testCA
	signer *sign.Signer
	outs   map[string]*transform.Output
	tr     *transform.Transformer
}

func newCorpus(t *testing.T) *corpus {
	ca := newTestCA(t)
	tr := transformtest.NewTransformer(t, testenv.Sosmeta())
	return &corpus{t: t, ca: ca, tr: tr, outs: transformtest.Build(t, tr),
		signer: ca.signer(t, custodian, time.Now().Add(-time.Hour), time.Now().AddDate(1, 0, 0), time.Time{})}
}

// signed signs an unsigned document (changed by edit) with s.
func (c *corpus) signed(name string, s *sign.Signer, edit func(string) string) []byte {
	c.t.Helper()
	out := c.outs[name]
	doc := string(out.XML)
	if edit != nil {
		doc = edit(doc)
	}
	signed, err := s.Sign([]byte(doc), out.OID, nil)
	if err != nil {
		c.t.Fatalf("%s: %v", name, err)
	}
	return signed
}

// framed is the frame of a kind (changed by edit) carrying doc.
func (c *corpus) framed(name string, doc []byte, edit func(string) string) []byte {
	c.t.Helper()
	out := c.outs[name]
	frame := string(c.tr.Frame(out, transform.FrameParams{MessageRoot: "1.2.246.10.99999991.95.1.4", MessageNumber: "1", Created: time.Now(), ProcessingCode: "D"}, doc))
	if edit != nil {
		frame = edit(frame)
	}
	return []byte(frame)
}

// withMIME replaces a frame's MIME body with one carrying doc under oid.
func withMIME(frame string, oid string, doc []byte) string {
	start := strings.Index(frame, `<text mediaType="multipart/related">`) + len(`<text mediaType="multipart/related">`)
	end := strings.Index(frame[start:], "</text>") + start
	var esc bytes.Buffer
	xml.EscapeText(&esc, []byte(transform.MIMEBody(oid, "<1.test@kantamig>", doc)))
	return frame[:start] + esc.String() + frame[end:]
}

// editJSON rewrites the structured form of an unsigned document.
func editJSON(doc string, edit func(string) string) string {
	re := regexp.MustCompile(`(<hl7fi:json[^>]*>)([^<]*)(</hl7fi:json>)`)
	return re.ReplaceAllStringFunc(doc, func(m string) string {
		parts := re.FindStringSubmatch(m)
		raw, _ := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(parts[2]), ""))
		return parts[1] + base64.StdEncoding.EncodeToString([]byte(edit(string(raw)))) + parts[3]
	})
}

// editDisplay rewrites the display form of an unsigned document.
func editDisplay(doc string, edit func(string) string) string {
	re := regexp.MustCompile(`(<text mediaType="application/xhtml\+xml" representation="B64">)([^<]*)(</text>)`)
	return re.ReplaceAllStringFunc(doc, func(m string) string {
		parts := re.FindStringSubmatch(m)
		raw, _ := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(parts[2]), ""))
		return parts[1] + base64.StdEncoding.EncodeToString([]byte(edit(string(raw)))) + parts[3]
	})
}

// editPDF rewrites the PDF of an unsigned PDF/A document.
func editPDF(edit func(string) string) func(string) string {
	re := regexp.MustCompile(`(<text mediaType="application/pdf" representation="B64">)([^<]*)(</text>)`)
	return func(doc string) string {
		return re.ReplaceAllStringFunc(doc, func(m string) string {
			parts := re.FindStringSubmatch(m)
			raw, _ := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(parts[2]), ""))
			return parts[1] + base64.StdEncoding.EncodeToString([]byte(edit(string(raw)))) + parts[3]
		})
	}
}

func replace(old, new string) func(string) string {
	return func(s string) string { return strings.Replace(s, old, new, 1) }
}

// Every kind of document the builder makes, signed with a certificate that
// chains to the anchor and framed, passes the inspection; then each of the
// broken documents and frames below is refused, each with its own reason.
// The expected reasons are written from what is broken, not from the code
// that finds it.
func TestBrokenDocumentsAreRefusedEachForItsReason(t *testing.T) {
	c := newCorpus(t)
	other := transformtest.TestPerson(7)
	in, err := NewInspector(Config{Codes: transformtest.CodeSets(t, testenv.Sosmeta()), Rehearsal: true, Anchors: c.ca.pool()})
	if err != nil {
		t.Fatal(err)
	}
	for name := range c.outs {
		doc := c.signed(name, c.signer, nil)
		if ins := in.Inspect(doc, c.framed(name, doc, nil)); ins.Refused() {
			t.Errorf("the valid %s is refused: %s", name, ins.Error())
		}
	}
	plan := "client-document-structured"
	selfSigned, err := sign.NewThrowawaySigner(custodian, "Kuvitelman hyvinvointialue")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		kind     string
		signer   *sign.Signer
		doc      func(string) string // changes the unsigned document
		frame    func(string) string // changes the frame
		signedEd func([]byte) []byte // changes the signed document after the frame is made
		strict   bool                // outside a test rehearsal
		want     string
	}{
		{name: "an unknown element in the Finnish header", kind: plan, doc: replace("<hl7fi:localSocialHeader>", "<hl7fi:localSocialHeader><hl7fi:legacyNote>x</hl7fi:legacyNote>"), want: "unknown element legacyNote"},
		{name: "a header element in another namespace", kind: plan, doc: replace("<hl7fi:localSocialHeader>", `<hl7fi:localSocialHeader><note xmlns="urn:example">x</note>`), want: "not in the Finnish namespace"},
		{name: "a header element twice", kind: plan, doc: replace("<hl7fi:localSocialHeader>", `<hl7fi:localSocialHeader><hl7fi:creationTime value="20110304101500+0200"/>`), want: "creationTime more than once"},
		{name: "an emptied Finnish header", kind: plan, doc: func(s string) string {
			return regexp.MustCompile(`(?s)<hl7fi:localSocialHeader>.*</hl7fi:localSocialHeader>`).ReplaceAllString(s, "<hl7fi:localSocialHeader></hl7fi:localSocialHeader>")
		}, want: "needs documentGroup"},
		{name: "a creation time that is no time", kind: plan, doc: regexReplace(`<hl7fi:creationTime value="[^"]*"/>`, `<hl7fi:creationTime value="2011-03-04"/>`), want: "creationTime: value \"2011-03-04\" is not a time"},
		{name: "an invalid confidentiality code", kind: plan, doc: replace(`<confidentialityCode code="6"`, `<confidentialityCode code="9"`), want: `code "9" is not a code of 1.2.246.777.5.99902.2006`},
		{name: "an unknown document group", kind: plan, doc: replace(`<hl7fi:documentGroup code="5"`, `<hl7fi:documentGroup code="7"`), want: `code "7" is not a code of 1.2.246.537.6.1505.201601`},
		{name: "a code system version that does not exist", kind: plan, doc: replace(`codeSystem="1.2.246.537.6.1221.201601"`, `codeSystem="1.2.246.537.6.1221.209901"`), want: "code system 1.2.246.537.6.1221.209901 does not exist"},
		{name: "an unknown code system", kind: plan, doc: replace(`codeSystem="1.2.246.537.5.1.1997"`, `codeSystem="1.2.3.4.5"`), want: "unknown code system 1.2.3.4.5"},
		{name: "the header's client changed to another person", kind: plan, doc: replace(`extension="150467-946P"`, `extension="`+other.IdentityCode+`"`), want: "is not a client the header names"},
		{name: "the header's client renamed", kind: plan, doc: replace(`<family>Testinen</family>`, `<family>Toinen</family>`), want: "names client 150467***** otherwise than the header"},
		{name: "an invalid identity code in the header", kind: plan, doc: replace(`extension="150467-946P"`, `extension="150467-946Q"`), want: "identity code 150467***** is not valid"},
		{name: "a contentSpecificationId of a schema that does not exist", kind: plan, doc: regexReplace(`<hl7fi:contentSpecificationId>[^<]*<`, `<hl7fi:contentSpecificationId>1.2.246.537.6.1506.15007.2099.1.1<`), want: "names no Sosmeta schema"},
		{name: "a structured form its schema refuses", kind: plan, doc: func(s string) string { return editJSON(s, replace(`"asiakas"`, `"asiakkaat"`)) }, want: "does not match Sosmeta"},
		{name: "a general type that is not the specific type's", kind: plan, doc: replace(`<code code="15" codeSystem="1.2.246.537.6.1506.201701"`, `<code code="11" codeSystem="1.2.246.537.6.1506.201701"`), want: "is not the type of the specific type 15007"},
		{name: "a specific type the schema is not of", kind: plan, doc: replace(`<hl7fi:specificDocumentType code="15007"`, `<hl7fi:specificDocumentType code="15024"`), want: "specific document type 15024 is not the one contentSpecificationId"},
		{name: "a structured form the header does not name", kind: "client-document-display-only", doc: replace("<hl7fi:localSocialHeader>", "<hl7fi:localSocialHeader><hl7fi:contentSpecificationId>1.2.246.537.6.1506.15007.2024.11.28</hl7fi:contentSpecificationId>"), want: "that the body does not carry"},
		{name: "a minor's document without the stand on disclosure", kind: "client-document-display-only", doc: regexReplace(`<authorization>.*?</authorization>`, ""), want: "was a minor on 20110304: the document needs authorization/consent"},
		{name: "a consent of another code system", kind: "client-document-display-only", doc: replace(`codeSystem="1.2.246.537.6.1286.201901"`, `codeSystem="1.2.246.537.6.1288.201901"`), want: "authorization/consent needs a code of 1.2.246.537.6.1286"},
		{name: "a reason of correction as text", kind: "client-document-replacing-version", doc: regexReplace(`<hl7fi:reasonOfCorrection[^>]*/>`, `<hl7fi:reasonOfCorrection>korjattu</hl7fi:reasonOfCorrection>`), want: "reasonOfCorrection: a coded element needs code and codeSystem"},
		{name: "a reason of correction with an unknown nullFlavor", kind: "client-document-replacing-version", doc: regexReplace(`<hl7fi:reasonOfCorrection[^>]*/>`, `<hl7fi:reasonOfCorrection nullFlavor="XX"/>`), want: `nullFlavor "XX"`},
		{name: "a script in the display form", kind: plan, doc: func(s string) string { return editDisplay(s, replace("</h1>", "</h1><script>alert(1)</script>")) }, want: "display form has a script element"},
		{name: "an external image in the display form", kind: plan, doc: func(s string) string {
			return editDisplay(s, replace("</h1>", `</h1><img src="http://tracker.example/t.gif"/>`))
		}, want: "display form refers outside itself (src on img)"},
		{name: "an event handler in the display form", kind: plan, doc: func(s string) string { return editDisplay(s, replace("<h1 ", `<h1 onmouseover="x()" `)) }, want: "display form has an event handler (onmouseover on h1)"},
		{name: "a link in the display form", kind: plan, doc: func(s string) string {
			return editDisplay(s, replace("</h1>", `</h1><a href="https://example.org/">x</a>`))
		}, want: "display form refers outside itself (href on a)"},
		{name: "a PDF without the PDF/A claim", kind: "client-document-pdfa", doc: editPDF(replace("pdfaid:part='1'", "pdfaid:part='2'")), want: "does not claim PDF/A-1b"},
		{name: "an encrypted PDF", kind: "client-document-pdfa", doc: editPDF(replace("<< /Root 1 0 R >>", "<< /Root 1 0 R /Encrypt 5 0 R >>")), want: "encrypted, which PDF/A forbids"},
		{name: "a PDF cut short", kind: "client-document-pdfa", doc: editPDF(replace("%%EOF", "")), want: "the PDF is cut short"},
		{name: "bytes that are no PDF", kind: "client-document-pdfa", doc: editPDF(func(string) string { return "GIF89a" }), want: "is not a PDF"},
		{name: "a PDF under the XHTML file format", kind: "client-document-pdfa", doc: replace(`<hl7fi:fileFormat code="PDFA-1B"`, `<hl7fi:fileFormat code="2"`), want: "the body is a PDF: it must name PDF/A"},
		{name: "a structured form beside a PDF", kind: "client-document-pdfa", doc: replace("</nonXMLBody>", `<hl7fi:json representation="B64">e30=</hl7fi:json></nonXMLBody>`), want: "beside a PDF/A document"},
		{name: "a display form under a PDF/A file format", kind: plan, doc: replace(`<hl7fi:fileFormat code="2"`, `<hl7fi:fileFormat code="PDFA-1B"`), want: "not 2 (XHTML_1.1)"},
		{name: "a placeholder code outside a test rehearsal", kind: "case-shared", strict: true, want: "is a placeholder"},
		{name: "a tampered body", kind: plan, signedEd: func(b []byte) []byte {
			return bytes.Replace(b, []byte(`representation="B64">PGRp`), []byte(`representation="B64">PGRq`), 1)
		}, want: "digest"},
		{name: "a signing certificate that does not chain to the anchor", kind: plan, signer: selfSigned, want: "does not chain to a trust anchor"},
		{name: "another organisation's certificate", kind: plan, signer: c.ca.signer(t, "1.2.246.10.12345678.10.0", time.Now().Add(-time.Hour), time.Now().AddDate(1, 0, 0), time.Time{}), want: "not by the custodian " + custodian},
		{name: "a certificate expired when it signed", kind: plan, signer: c.ca.signer(t, custodian, time.Now().Add(-40*time.Hour), time.Now().Add(-20*time.Hour), time.Now().Add(-time.Hour)), want: "was not valid when it signed"},
		{name: "a frame whose MIME part holds another document", kind: plan, frame: func(s string) string {
			other := c.signed("client-document-replacing-version", c.signer, nil)
			return withMIME(s, c.outs[plan].OID, other)
		}, want: "holds another document"},
		{name: "a frame with processing code X", kind: plan, frame: replace(`<processingCode code="D"/>`, `<processingCode code="X"/>`), want: `processing code "X"`},
		{name: "a frame without its author", kind: plan, frame: regexReplace(`(?s)<authorOrPerformer.*</authorOrPerformer>`, ""), want: "the frame has no author"},
		{name: "a frame asking to archive a client relationship", kind: plan, frame: replace(`<reasonCode code="SP17"`, `<reasonCode code="SP1"`), want: `service request "SP1" does not archive a document of group 5`},
		{name: "a frame naming another client", kind: plan, frame: replace(`extension="150467-946P"`, `extension="`+other.IdentityCode+`"`), want: "the frame's client"},
		{name: "a frame with another time than its document", kind: plan, frame: regexReplace(`(<statusCode code="COMPLETED"/>\s*<effectiveTime value=")[0-9]{4}`, "${1}1999"), want: "the frame's clinicalDocument effectiveTime"},
		{name: "a frame from another sender", kind: plan, frame: regexReplace(`(<sender[^>]*>\s*<device[^>]*>\s*<id root=")[^"]*`, "${1}1.2.246.10.12345678.10.0"), want: "the frame's sender"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.signer
			if s == nil {
				s = c.signer
			}
			doc := c.signed(tc.kind, s, tc.doc)
			frame := c.framed(tc.kind, doc, tc.frame)
			if tc.signedEd != nil {
				doc = tc.signedEd(doc)
				frame = []byte(withMIME(string(frame), c.outs[tc.kind].OID, doc))
			}
			judge := in
			if tc.strict {
				if judge, err = NewInspector(Config{Codes: transformtest.CodeSets(t, testenv.Sosmeta()), Anchors: c.ca.pool()}); err != nil {
					t.Fatal(err)
				}
			}
			ins := judge.Inspect(doc, frame)
			if !ins.Refused() || !strings.Contains(ins.Error(), tc.want) {
				t.Errorf("want a refusal naming %q, got: %s", tc.want, ins.Error())
			}
		})
	}
}

func regexReplace(pattern, with string) func(string) string {
	re := regexp.MustCompile(pattern)
	return func(s string) string { return re.ReplaceAllString(s, with) }
}

// The real archive samples pass the document inspection (their frames hold
// a vendor's placeholder where the document goes, so they are left out).
func TestTheArchiveSamplesPassTheInspection(t *testing.T) {
	in, err := NewInspector(Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"client-relationship-document.signed.xml", "plan-document.signed.xml"} {
		doc := testenv.ReadShared(t, "reference", "kanta-samples", name)
		if ins := in.Inspect(doc, nil); ins.Refused() {
			t.Errorf("%s: %s", name, ins.Error())
		}
	}
}

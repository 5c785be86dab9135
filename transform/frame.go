package transform

import (
	"strings"
	"time"

	"github.com/kantamig/kantamig/kanta"
)

// Service requests (1.2.246.537.6.1503) of the archiving message.
const (
	// SP1 archives a client-relationship document.
	ServiceRequestRelationship = "SP1"
	// SP17 archives a client document. Case documents go with it too: no
	// source names a service request of their own, and the archive decides how
	// to process a document by its document group (2 for a case), which the
	// document carries (DOMAIN §1.1, S6).
	ServiceRequestDocument = "SP17"
)

// InferredServiceRequest is the service request of the messages no source
// confirms one for (case documents, replacing versions) when the mapping
// states none: SP17, as a client document.
const InferredServiceRequest = ServiceRequestDocument

// ServiceRequests are the service requests a mapping states for the
// messages no source confirms one for.
type ServiceRequests struct {
	CaseDocument, ReplacingVersion string
}

// ServiceRequest is the service request a document is archived with.
func (o *Output) ServiceRequest() string {
	sr, _ := o.serviceRequest()
	return sr
}

// ServiceRequestInferred says that no source confirms the document's
// service request and the mapping stated none (the report counts these).
func (o *Output) ServiceRequestInferred() bool {
	_, inferred := o.serviceRequest()
	return inferred
}

func (o *Output) serviceRequest() (code string, inferred bool) {
	stated := ""
	switch {
	case o.Kind == KindRelationship:
		return ServiceRequestRelationship, false
	case o.Kind == KindCase:
		stated = o.requests.CaseDocument
	case o.header != nil && o.header.ids.Replaces != "":
		stated = o.requests.ReplacingVersion
	default:
		return ServiceRequestDocument, false
	}
	if stated == "" {
		return InferredServiceRequest, true
	}
	return stated, false
}

// FrameParams are what a message frame has that the document does not.
type FrameParams struct {
	MessageRoot    string // OID of the sender's message identifiers
	MessageNumber  string // this message's running number
	Created        time.Time
	Receiver       string // the archive's device OID; default the one in the examples
	ProcessingCode string // P production (default), D debugging, T training
}

// KantaReceiver is the receiving device OID seen in the archive's example frames.
const KantaReceiver = "1.2.246.556.18007.2"

// Frame builds the HL7 V3 RCMR_IN200002FI01 archiving message for a
// generated document (DOMAIN §3.4), the signed document inside it: the frame
// alone is the whole message. Its clinicalDocument repeats the document's
// id, setId, version and header metadata (clients with their calling names,
// the author, the custodian, and for a client or case document the
// encounter as the real client document's frame has it), so the archive can check that frame and document
// agree; its text (mediaType multipart/related) holds the signed document as
// a MIME multipart body with one part, Base64, whose Content-ID is the
// document's OID (DOMAIN §5.2a). The performer is the organisation itself, a
// migration having no professional at the keyboard (inferred; the real
// frames show a person), of type PRF for a client-relationship document as
// in its real frame and AUT otherwise.
func (t *Transformer) Frame(out *Output, p FrameParams, signed []byte) []byte {
	h := out.header
	if p.Receiver == "" {
		p.Receiver = KantaReceiver
	}
	if p.ProcessingCode == "" {
		p.ProcessingCode = "P"
	}
	var w xw
	w.b.Grow(base64Lines(len(signed)) + 16<<10)
	w.raw(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	w.open("RCMR_IN200002FI01", "xmlns", "urn:hl7-org:v3", "ITSVersion", "XML_1.0")
	w.nl()
	w.empty("id", "root", p.MessageRoot, "extension", p.MessageNumber)
	w.empty("creationTime", "value", t.ts(p.Created))
	w.empty("versionCode", "code", "V3-2006")
	w.empty("interactionId", "root", "2.16.840.1.113883.1.6", "extension", "RCMR_IN200002FI01")
	w.empty("processingCode", "code", p.ProcessingCode)
	w.empty("processingModeCode", "code", "T")
	w.empty("acceptAckCode", "code", "ER")
	w.nl()
	device := func(role, typeCode, oid string) {
		w.open(role, "typeCode", typeCode)
		w.open("device", "classCode", "DEV", "determinerCode", "INSTANCE")
		w.empty("id", "root", oid)
		w.close("device")
		w.close(role)
	}
	device("receiver", "RCV", p.Receiver)
	device("sender", "SND", t.s.Custodian.OID)
	w.nl()
	w.open("controlActProcess", "classCode", "CACT", "moodCode", "EVN")
	w.nl()
	w.empty("code", "code", "RCMR_TE000102UV01", "codeSystem", "2.16.840.1.113883.1.18")
	w.empty("priorityCode", "code", "R")
	w.empty("reasonCode", t.code(nil, kanta.SetServiceRequest, out.ServiceRequest())...)
	w.empty("reasonCode", "code", "1", "codeSystem", "1.2.246.537.6.1289.201901", "codeSystemName", "Sosiaalihuolto - Asiakastiedon arkiston käyttötilanne", "displayName", "Palvelunjärjestäjän rekisterin oma käyttö")
	w.nl()
	performer := "AUT"
	if out.Kind == KindRelationship {
		performer = "PRF"
	}
	w.open("authorOrPerformer", "typeCode", performer)
	w.open("assignedPerson")
	w.empty("id", "nullFlavor", "NA")
	w.open("representedOrganization")
	w.empty("id", "root", t.s.Custodian.OID)
	w.elem("name", t.s.Custodian.Name)
	w.close("representedOrganization")
	w.close("assignedPerson")
	w.close("authorOrPerformer")
	w.nl()
	w.open("subject")
	w.open("clinicalDocument", "classCode", "DOCCLIN", "moodCode", "EVN")
	w.nl()
	w.empty("realmCode", "code", "FI")
	w.empty("typeId", "root", "2.16.840.1.113883.1.3", "extension", "POCD_HD000040")
	w.empty("id", "root", h.ids.Document)
	w.empty("code", "code", "1", "codeSystem", "1.2.246.537.6.1264.201701", "codeSystemName", "Sosiaalihuolto - Asiakirjan rekisteritunnus", "displayName", "Sosiaalihuollon asiakasrekisteri")
	// The MIME body written in place (its Base64 needs no escaping), so
	// that the signed document is encoded once, into the frame itself.
	head, tail := mimeParts(h.ids.Document, MessageID(p))
	w.open("text", "mediaType", "multipart/related")
	w.text(head)
	w.base64(signed)
	w.text(tail)
	w.close("text")
	w.nl()
	w.empty("statusCode", "code", "COMPLETED")
	w.empty("effectiveTime", "value", t.ts(h.effective))
	w.empty("confidentialityCode", t.code(nil, kanta.SetConfidentiality, h.confidential)...)
	w.empty("languageCode", "code", "fi")
	w.empty("setId", "root", h.ids.Set)
	w.empty("versionNumber", "value", itoa(h.version))
	w.empty("completionCode", "code", "LA", "codeSystem", "1.2.246.537.5.40115.2006", "codeSystemName", "KanTa-palvelut - Dokumentin valmiusaste", "displayName", "Legally authenticated")
	w.empty("storageCode", "code", "AC", "codeSystem", "1.2.246.537.5.40116.2006", "codeSystemName", "KanTa-palvelut - Dokumentin arkistointikoodi (DocumentStorage)", "displayName", "Active")
	w.nl()
	for _, c := range h.clients {
		w.open("recordTarget", "typeCode", "RCT")
		w.open("patient", "classCode", "PAT")
		t.writeClientID(&w, c)
		w.empty("statusCode", "code", "normal")
		w.open("patientPerson", "classCode", "PSN", "determinerCode", "INSTANCE")
		w.open("name")
		w.elem("family", c.FamilyName)
		for _, g := range strings.Fields(c.GivenNames) {
			w.elem("given", g)
		}
		if c.CallingName != "" {
			w.elem("given", c.CallingName, "qualifier", "CL")
		}
		w.close("name")
		t.writeSexAndBirth(&w, nil, c)
		w.close("patientPerson")
		w.close("patient")
		w.close("recordTarget")
		w.nl()
	}
	w.open("author", "typeCode", "AUT")
	w.empty("time", "nullFlavor", "NA")
	w.open("assignedAuthor", "classCode", "ASSIGNED")
	if a := h.author; a != nil && a.RegistrationNumber != "" {
		w.empty("id", "root", idRootAuthor, "extension", a.RegistrationNumber)
	} else {
		w.empty("id", "nullFlavor", "NA")
	}
	if a := h.author; a != nil && (a.FamilyName != "" || a.GivenNames != "") {
		w.open("assignedPerson", "classCode", "PSN", "determinerCode", "INSTANCE")
		w.open("name")
		w.elem("family", a.FamilyName)
		for _, g := range strings.Fields(a.GivenNames) {
			w.elem("given", g)
		}
		w.close("name")
		w.close("assignedPerson")
	}
	w.close("assignedAuthor")
	w.close("author")
	w.nl()
	w.open("custodian", "typeCode", "CST")
	w.open("assignedCustodian", "classCode", "ASSIGNED")
	w.open("representedOrganization", "classCode", "ORG", "determinerCode", "INSTANCE")
	w.empty("id", "root", t.s.Custodian.OID)
	w.elem("name", t.s.Custodian.Name)
	w.close("representedOrganization")
	w.close("assignedCustodian")
	w.close("custodian")
	w.nl()
	if out.Kind != KindRelationship { // as the real client-document frame; the relationship's has none
		w.open("componentOf")
		w.open("encounterEvent", "classCode", "ENC", "moodCode", "EVN")
		w.empty("id", "nullFlavor", "NA")
		w.empty("effectiveTime", "nullFlavor", "NA")
		w.open("location")
		w.open("healthCareFacility", "classCode", "SDLOC")
		w.empty("location", "classCode", "PLC", "determinerCode", "INSTANCE")
		w.close("healthCareFacility")
		w.close("location")
		w.close("encounterEvent")
		w.close("componentOf")
		w.nl()
	}
	w.close("clinicalDocument")
	w.close("subject")
	w.nl()
	w.close("controlActProcess")
	w.nl()
	w.close("RCMR_IN200002FI01")
	w.nl()
	return w.b.Bytes()
}

// MIMEBoundary is the boundary of a frame's MIME body: no Base64 line can
// hold it, as Base64 has no '-'.
func MIMEBoundary(oid string) string { return "kantamig-document-" + oid }

// MessageID is the MIME Message-ID of a frame's body: the message's own
// identifier (its running number under the sender's message root), unique
// as the frame's id is, in the form RFC 5322 gives a msg-id.
func MessageID(p FrameParams) string {
	return "<" + p.MessageNumber + "." + p.MessageRoot + "@kantamig>"
}

// MIMEBody is the MIME multipart body that carries a signed document inside
// its frame: the message headers the health archive's messages of the same
// family carry (Message-ID, MIME-Version, DOMAIN §5.2a) and a Content-Type
// naming the boundary, then one part, text/xml in Base64 (lines of 76
// characters) with the document's OID as its Content-ID. Lines end in LF:
// the body is the text of an XML element, where a CR would not survive.
func MIMEBody(oid, messageID string, document []byte) string {
	head, tail := mimeParts(oid, messageID)
	var b strings.Builder
	b.Grow(len(head) + base64Lines(len(document)) + len(tail))
	b.WriteString(head)
	writeBase64Lines(&b, document)
	b.WriteString(tail)
	return b.String()
}

// mimeParts are the MIME body's text before and after the document's
// Base64 lines.
func mimeParts(oid, messageID string) (head, tail string) {
	boundary := MIMEBoundary(oid)
	head = "Message-ID: " + messageID + "\nMIME-Version: 1.0\n" +
		"Content-Type: multipart/related; boundary=\"" + boundary + "\"; type=\"text/xml\"\n\n" +
		"--" + boundary + "\n" +
		"Content-Type: text/xml; charset=UTF-8\nContent-Transfer-Encoding: BASE64\nContent-ID: <" + oid + ">\n\n"
	return head, "\n--" + boundary + "--\n"
}

// Allowances for MessageBytesAtMost: a signature with its certificate (about
// 2.8 KB with one certificate; a chain of three stays below this), and the
// frame around the MIME part (about 4 KB measured on the samples' frames).
const (
	signatureAllowance = 16 << 10
	frameAllowance     = 16 << 10
)

// MessageBytesAtMost bounds the size of the message frame that carries a
// document of n bytes once it is signed: the signed document in Base64 in
// lines of 76 characters, and the frame around it.
func MessageBytesAtMost(n int) int {
	b64 := (n + signatureAllowance + 2) / 3 * 4
	return b64 + b64/76 + 1 + frameAllowance
}

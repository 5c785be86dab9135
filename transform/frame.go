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

// ServiceRequest is the service request a document is archived with.
func (o *Output) ServiceRequest() string {
	if o.Kind == KindRelationship {
		return ServiceRequestRelationship
	}
	return ServiceRequestDocument
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
// generated document (DOMAIN §3.4): its clinicalDocument repeats the
// document's id, setId, version and header metadata, so the archive can check
// that frame and document agree. The performer is the organisation itself:
// a migration has no professional at the keyboard (inferred; the examples show
// a person).
func (t *Transformer) Frame(out *Output, p FrameParams) []byte {
	h := out.header
	if p.Receiver == "" {
		p.Receiver = KantaReceiver
	}
	if p.ProcessingCode == "" {
		p.ProcessingCode = "P"
	}
	var w xw
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
	w.open("authorOrPerformer", "typeCode", "AUT")
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
	w.open("text", "mediaType", "multipart/related")
	w.elem("reference", "", "value", "cid:document")
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
		w.close("name")
		t.writeSexAndBirth(&w, nil, c)
		w.close("patientPerson")
		w.close("patient")
		w.close("recordTarget")
		w.nl()
	}
	w.open("custodian", "typeCode", "CST")
	w.open("assignedCustodian", "classCode", "ASSIGNED")
	w.open("representedOrganization", "classCode", "ORG", "determinerCode", "INSTANCE")
	w.empty("id", "root", t.s.Custodian.OID)
	w.elem("name", t.s.Custodian.Name)
	w.close("representedOrganization")
	w.close("assignedCustodian")
	w.close("custodian")
	w.nl()
	w.close("clinicalDocument")
	w.close("subject")
	w.nl()
	w.close("controlActProcess")
	w.nl()
	w.close("RCMR_IN200002FI01")
	w.nl()
	return w.b.Bytes()
}

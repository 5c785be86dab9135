package mapping

import (
	"sort"

	"github.com/kantamig/kantamig/kanta"
)

// kind is how a target field's text is interpreted.
type kind int

const (
	kindText  kind = iota
	kindKey        // a reference to another record's source key
	kindKeys       // several references
	kindDate       // a calendar date
	kindTime       // a date with an optional time of day
	kindBool       // yes/no
	kindInt        // a whole number
	kindCode       // one code from a code set
	kindCodes      // several codes from a code set
)

// target describes a field of the national model that a mapping can fill.
type target struct {
	name     string
	kind     kind
	codeSet  string // for kindCode and kindCodes
	required bool
	doc      string
	refers   kanta.Entity // for kindKey and kindKeys: the entity referred to
}

// targets lists, per entity, every field a mapping can fill. docs/mapping.md
// describes the same list; a test keeps the two in step.
var targets = map[kanta.Entity][]target{
	kanta.EntityClient: {
		{name: "identity_code", kind: kindText, doc: "personal identity code (henkilötunnus); this or temporary_id is required"},
		{name: "temporary_id", kind: kindText, doc: "temporary identifier (tilapäinen yksilöintitunnus); a client with only this is rejected, as an old relationship needs the identity code"},
		{name: "family_name", kind: kindText, required: true, doc: "family name"},
		{name: "given_names", kind: kindText, required: true, doc: "given names"},
		{name: "calling_name", kind: kindText, doc: "calling name; defaults to the first given name"},
		{name: "birth_date", kind: kindDate, doc: "birth date; defaults to the one the identity code gives"},
		{name: "sex", kind: kindCode, codeSet: kanta.SetSex, doc: "sex (1.2.246.537.5.1); defaults to the one the identity code gives"},
		{name: "home_municipality", kind: kindCode, codeSet: kanta.SetMunicipality, doc: "home municipality (1.2.246.537.6.21); left out of the document under non-disclosure"},
		{name: "address_street", kind: kindText, doc: "street address (lähiosoite); left out of the document under non-disclosure"},
		{name: "address_postcode", kind: kindText, doc: "postcode (postinumero); left out under non-disclosure"},
		{name: "address_post_office", kind: kindText, doc: "post office (postitoimipaikka); left out under non-disclosure"},
		{name: "phone", kind: kindText, doc: "phone number (puhelinnumero); kept under non-disclosure, as the national note says"},
		{name: "email", kind: kindText, doc: "e-mail address (sähköpostiosoite); left out under non-disclosure"},
		{name: "non_disclosure", kind: kindBool, doc: "non-disclosure for personal safety (turvakielto)"},
		{name: "relationship_start", kind: kindDate, required: true, doc: "start of the social-welfare client relationship"},
		{name: "relationship_end", kind: kindDate, doc: "end of the client relationship"},
		{name: "relationship_end_reason", kind: kindText, doc: "why the client relationship ended"},
		{name: "service_tasks", kind: kindCodes, codeSet: kanta.SetServiceTask, doc: "service tasks the client has a relationship in (1.2.246.537.6.1221)"},
		{name: "service_unit_oid", kind: kindText, doc: "service unit OID; defaults to organisation.service_unit"},
		{name: "service_unit_name", kind: kindText, doc: "service unit name"},
		{name: "created", kind: kindTime, doc: "when the record was created, compared with the cut-off; defaults to relationship_start"},
	},
	kanta.EntityCase: {
		{name: "clients", kind: kindKeys, refers: kanta.EntityClient, doc: "client keys of the case's clients (several for a shared case); this or client_identity_codes is required"},
		{name: "client_identity_codes", kind: kindKeys, doc: "identity codes (or temporary identifiers) of the case's clients, when the export names them so; each must be a client's of the mapping"},
		{name: "name", kind: kindCode, codeSet: kanta.SetCaseName, required: true, doc: "case name (1.2.246.537.6.1265)"},
		{name: "name_other", kind: kindText, doc: "free text when the name is 99 (Muu)"},
		{name: "status", kind: kindCode, codeSet: kanta.SetCaseStatus, required: true, doc: "case status (1.2.246.537.6.1501)"},
		{name: "opened", kind: kindDate, required: true, doc: "when the case was opened (vireilletulo)"},
		{name: "closed", kind: kindDate, doc: "when the case was closed"},
		{name: "service_task", kind: kindCode, codeSet: kanta.SetServiceTask, required: true, doc: "service task (1.2.246.537.6.1221)"},
		{name: "related_cases", kind: kindKeys, refers: kanta.EntityCase, doc: "keys of related cases"},
		{name: "service_unit_oid", kind: kindText, doc: "service unit OID; defaults to organisation.service_unit"},
		{name: "service_unit_name", kind: kindText, doc: "service unit name"},
		{name: "created", kind: kindTime, doc: "when the record was created; defaults to opened"},
	},
	kanta.EntityServiceTask: {
		{name: "client", kind: kindKey, refers: kanta.EntityClient, doc: "key of the client; this or client_identity_code is required"},
		{name: "client_identity_code", kind: kindText, doc: "identity code (or temporary identifier) of the client, when the export names the client so"},
		{name: "service_task", kind: kindCode, codeSet: kanta.SetServiceTask, required: true, doc: "the service task (1.2.246.537.6.1221)"},
		{name: "service_unit_oid", kind: kindText, doc: "the service organiser's service unit OID; defaults to the client's"},
		{name: "service_unit_name", kind: kindText, doc: "service unit name"},
		{name: "start", kind: kindDate, doc: "when the client relationship in this service task began; defaults to the relationship's start"},
		{name: "end", kind: kindDate, doc: "when it ended; defaults to the relationship's end"},
		{name: "created", kind: kindTime, doc: "when the record was created, compared with the cut-off; defaults to start"},
	},
	kanta.EntityRelatedPerson: {
		{name: "client", kind: kindKey, refers: kanta.EntityClient, doc: "key of the client the person is related to; this or client_identity_code is required"},
		{name: "client_identity_code", kind: kindText, doc: "identity code (or temporary identifier) of that client, when the export names the client so"},
		{name: "family_name", kind: kindText, required: true, doc: "the person's family name"},
		{name: "given_names", kind: kindText, required: true, doc: "the person's given names"},
		{name: "identity_code", kind: kindText, doc: "the person's identity code, checked as a client's is"},
		{name: "role_description", kind: kindText, doc: "the person's role, as text (roolin kuvaus), e.g. guardian, next of kin"},
		{name: "phone", kind: kindText, doc: "the person's phone number; left out under the person's non-disclosure"},
		{name: "non_disclosure", kind: kindBool, doc: "the person's own non-disclosure (turvakielto)"},
		{name: "created", kind: kindTime, doc: "when the record was created, compared with the cut-off"},
	},
	kanta.EntityAddress: {
		{name: "client", kind: kindKey, refers: kanta.EntityClient, doc: "key of the client whose address it is; this or client_identity_code is required"},
		{name: "client_identity_code", kind: kindText, doc: "identity code (or temporary identifier) of that client, when the export names the client so"},
		{name: "street", kind: kindText, required: true, doc: "street address (lähiosoite)"},
		{name: "postcode", kind: kindText, doc: "postcode (postinumero)"},
		{name: "post_office", kind: kindText, doc: "post office (postitoimipaikka)"},
		{name: "valid_from", kind: kindDate, doc: "when the address became the client's; compared with the cut-off unless created is given"},
		{name: "valid_to", kind: kindDate, doc: "when it stopped being the client's: an address with an end date is a former one, skipped (address-ended)"},
		{name: "created", kind: kindTime, doc: "when the record was created, compared with the cut-off; defaults to valid_from"},
	},
	kanta.EntityMember: {
		{name: "case", kind: kindKey, refers: kanta.EntityCase, required: true, doc: "key of the case"},
		{name: "client", kind: kindKey, refers: kanta.EntityClient, doc: "key of the member client; this or client_identity_code is required"},
		{name: "client_identity_code", kind: kindText, doc: "identity code (or temporary identifier) of the member client, when the export names the client so"},
		{name: "joined", kind: kindDate, doc: "when the client joined the case (asiaan liittymishetki); defaults to the case's opening"},
		{name: "left", kind: kindDate, doc: "when the client left the case (asiasta poistumishetki); defaults to the case's closing"},
		{name: "created", kind: kindTime, doc: "when the record was created, compared with the cut-off; defaults to joined"},
	},
	kanta.EntityDocument: {
		{name: "client", kind: kindKey, refers: kanta.EntityClient, doc: "key of the document's client; this or client_identity_code is required"},
		{name: "client_identity_code", kind: kindText, doc: "identity code (or temporary identifier) of the document's client, when the export names the client so"},
		{name: "case", kind: kindKey, refers: kanta.EntityCase, required: true, doc: "key of the document's case; may be left unmapped when without_case collects"},
		{name: "type", kind: kindCode, codeSet: kanta.SetDocumentType, required: true, doc: "general document type (1.2.246.537.6.1506), one of the 17"},
		{name: "specific_type", kind: kindCode, codeSet: kanta.SetSpecificDocumentType, doc: "specific document type; with a Sosmeta schema it gets a structured form"},
		{name: "service_task", kind: kindCode, codeSet: kanta.SetServiceTask, doc: "service task (1.2.246.537.6.1221); when not given, its case's (required for a document without a case)"},
		{name: "social_services", kind: kindCodes, codeSet: kanta.SetSocialService, doc: "social services (1.2.246.537.6.1222)"},
		{name: "author_id", kind: kindText, doc: "author's registration number (1.2.246.537.26)"},
		{name: "author_family_name", kind: kindText, doc: "author's family name"},
		{name: "author_given_names", kind: kindText, doc: "author's given names"},
		{name: "author_title", kind: kindText, doc: "author's job title"},
		{name: "drawn_up", kind: kindTime, required: true, doc: "when the document was drawn up; orders the client's documents"},
		{name: "confidentiality", kind: kindCode, codeSet: kanta.SetConfidentiality, doc: "confidentiality; defaults to 6"},
		{name: "version", kind: kindInt, doc: "version number; defaults to 1, or one more than the replaced version"},
		{name: "replaces", kind: kindKey, refers: kanta.EntityDocument, doc: "key of the document version this one replaces"},
		{name: "attached_to", kind: kindKey, refers: kanta.EntityDocument, doc: "key of the document this one is an attachment of (a scanned application behind a decision): archived as a document of its own after it, in its case (when it names none), related to it by relatedDocument APND; one dated before its document is archived at the document's time, its own date named in the report and in the title of its display form"},
		{name: "correction_reason", kind: kindText, doc: "why a replacing version was made, shown in its display form; hl7fi:reasonOfCorrection is coded with nullFlavor OTH (NI when not given) while the code set is not known; when not given the display form says: \"" + kanta.DefaultCorrectionReason + "\""},
		{name: "minor_disclosure", kind: kindCode, codeSet: kanta.SetMinorDisclosure, doc: "a minor client's stand on disclosing the document to guardians (authorization/consent, 1.2.246.537.6.1286); written where the client was under 18 when the document was drawn up, and 1 (may be disclosed) there when not given"},
		{name: "title", kind: kindText, doc: "title shown in the display form"},
		{name: "text", kind: kindText, doc: "the legacy text, shown in the display form"},
		{name: "text_format", kind: kindText, doc: "how text is written: `text` (the default), `rtf` (a word-processor component's), `html` (a web front end's), `docx` (a Word file), `pdf` or `tiff` (a scan), or `auto` (each document's first bytes decide); RTF, HTML and .docx are converted into the display form's paragraphs, headings, lists and tables, each such document noted (body-converted), one that cannot be read rejected (body-unreadable); a PDF or TIFF is carried as PDF/A where the mapping states pdfa_documents (else no-pdfa-route)"},
		{name: "service_unit_oid", kind: kindText, doc: "service unit OID; when not given, its case's unit (organisation.service_unit for a document without a case)"},
		{name: "service_unit_name", kind: kindText, doc: "service unit name"},
		{name: "created", kind: kindTime, doc: "when the record was created; defaults to drawn_up"},
	},
}

func findTarget(e kanta.Entity, name string) (target, bool) {
	for _, t := range targets[e] {
		if t.name == name {
			return t, true
		}
	}
	return target{}, false
}

func targetNames(e kanta.Entity) []string {
	var names []string
	for _, t := range targets[e] {
		names = append(names, t.name)
	}
	sort.Strings(names)
	return names
}

// TargetDoc is one row of the target-field reference.
type TargetDoc struct {
	Entity   kanta.Entity
	Name     string
	Required bool
	CodeSet  string
	Doc      string
}

// Targets lists every target field, for documentation and its test.
func Targets() []TargetDoc {
	var out []TargetDoc
	for _, k := range Kinds {
		e := k.Entity
		for _, t := range targets[e] {
			out = append(out, TargetDoc{Entity: e, Name: t.name, Required: t.required, CodeSet: t.codeSet, Doc: t.doc})
		}
	}
	return out
}

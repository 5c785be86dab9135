package entity

import "github.com/kantamig/kantamig/kanta"

// Document is a client document of one of the general types.
var Document = Kind{
	Entity:         kanta.EntityDocument,
	Key:            "documents",
	Label:          "documents",
	Required:       true,
	ClientRef:      [2]string{"client", "client_identity_code"},
	ClientFromCase: true,
	Fields: []Field{
		{Name: "client", Type: Key, Refers: kanta.EntityClient, Doc: "key of the document's client; this or client_identity_code is required, unless the document names its case: then a document that names no client is its case's client's (one of a shared case is rejected case-client)"},
		{Name: "client_identity_code", Type: Text, Doc: "identity code (or temporary identifier) of the document's client, when the export names the client so"},
		{Name: "case", Type: Key, Refers: kanta.EntityCase, Required: true, Doc: "key of the document's case; may be left unmapped when without_case collects"},
		{Name: "type", Type: Code, CodeSet: kanta.SetDocumentType, Required: true, Doc: "general document type (1.2.246.537.6.1506), one of the 17"},
		{Name: "specific_type", Type: Code, CodeSet: kanta.SetSpecificDocumentType, Doc: "specific document type; with a Sosmeta schema it gets a structured form"},
		{Name: "service_task", Type: Code, CodeSet: kanta.SetServiceTask, Doc: "service task (1.2.246.537.6.1221); when not given, its case's (required for a document without a case, or derive: client_service_task, its client's only one)"},
		{Name: "social_services", Type: Codes, CodeSet: kanta.SetSocialService, Doc: "social services (1.2.246.537.6.1222)"},
		{Name: "author_id", Type: Text, Doc: "author's registration number (1.2.246.537.26)"},
		{Name: "author_family_name", Type: Text, Doc: "author's family name"},
		{Name: "author_given_names", Type: Text, Doc: "author's given names"},
		{Name: "author_title", Type: Text, Doc: "author's job title"},
		{Name: "drawn_up", Type: Time, Required: true, Doc: "when the document was drawn up; orders the client's documents"},
		{Name: "confidentiality", Type: Code, CodeSet: kanta.SetConfidentiality, Doc: "confidentiality; defaults to 6"},
		{Name: "version", Type: Int, Doc: "version number; defaults to 1, or one more than the replaced version"},
		{Name: "replaces", Type: Key, Refers: kanta.EntityDocument, Doc: "key of the document version this one replaces"},
		{Name: "attached_to", Type: Key, Refers: kanta.EntityDocument, Doc: "key of the document this one is an attachment of (a scanned application behind a decision): archived as a document of its own after it, in its case (when it names none), related to it by relatedDocument APND; one dated before its document is archived at the document's time, its own date named in the report and in the title of its display form"},
		{Name: "correction_reason", Type: Text, Doc: "why a replacing version was made, shown in its display form; hl7fi:reasonOfCorrection is coded with nullFlavor OTH (NI when not given) while the code set is not known; when not given the display form says: \"" + kanta.DefaultCorrectionReason + "\""},
		{Name: "minor_disclosure", Type: Code, CodeSet: kanta.SetMinorDisclosure, Doc: "a minor client's stand on disclosing the document to guardians (authorization/consent, 1.2.246.537.6.1286); written where the client was under 18 when the document was drawn up, and 1 (may be disclosed) there when not given"},
		{Name: "title", Type: Text, Doc: "title shown in the display form"},
		{Name: "text", Type: Text, Doc: "the legacy text, shown in the display form"},
		{Name: "text_format", Type: Text, Doc: "how text is written: `text` (the default), `rtf` (a word-processor component's), `html` (a web front end's), `docx` (a Word file), `pdf` or `tiff` (a scan), or `auto` (each document's first bytes decide); RTF, HTML and .docx are converted into the display form's paragraphs, headings, lists and tables, each such document noted (body-converted), one that cannot be read rejected (body-unreadable); a PDF or TIFF is carried as PDF/A where the mapping states pdfa_documents (else no-pdfa-route)"},
		{Name: "service_unit_oid", Type: Text, Doc: "service unit OID; when not given, its case's unit (organisation.service_unit for a document without a case)"},
		{Name: "service_unit_name", Type: Text, Doc: "service unit name"},
		{Name: "created", Type: Time, Doc: "when the record was created; defaults to drawn_up"},
	},
}

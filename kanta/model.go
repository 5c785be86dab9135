package kanta

import "time"

// Entity names the kind of source record a stage is dealing with; package
// entity describes each.
type Entity string

// The entities a mapping file maps.
const (
	EntityClient   Entity = "client"
	EntityCase     Entity = "case"
	EntityDocument Entity = "document"
	// EntityMember is one client's membership of a case, with its own
	// joining and leaving, when the legacy system keeps it in a table of
	// its own: a record with its own outcome, carried in the case's document.
	EntityMember Entity = "case_member"
	// EntityServiceTask is one service-task relationship of a client (the
	// service task, the service unit, its own start and end), when the legacy
	// system keeps them in a table of their own: a record with its own
	// outcome, carried in the client-relationship document.
	EntityServiceTask Entity = "service_task"
	// EntityRelatedPerson is a person related to a client, kept in a table of
	// its own: a record with its own outcome, carried in the
	// client-relationship document.
	EntityRelatedPerson Entity = "related_person"
	// EntityAddress is one address of a client, kept in a table of its own
	// (often with its history): a record with its own outcome, carried in
	// the client-relationship document when it is current.
	EntityAddress Entity = "address"
)

// Organisation is the custodian (rekisterinpitäjä), the organiser
// (palvelunjärjestäjä) or a service unit: an OID from the SOTE organisation
// register and its name.
type Organisation struct {
	OID  string
	Name string
}

// Client is a person as the archive knows them.
type Client struct {
	IdentityCode  string // henkilötunnus; empty if only a temporary id is known
	TemporaryID   string // tilapäinen yksilöintitunnus
	TemporaryOnly bool   // the client has no valid identity code, only a temporary id
	FamilyName    string
	GivenNames    string
	CallingName   string
	BirthDate     time.Time
	Sex           string // 1.2.246.537.5.1
	Municipality  string // 1.2.246.537.6.21
	NonDisclosure bool   // turvakielto
	// Contact data (yhteystiedot). Under non-disclosure only the phone
	// number goes into the client-relationship document (Sosmeta's note on
	// turvakielto).
	Street, Postcode, PostOffice string // osoite: lähiosoite, postinumero, postitoimipaikka
	Phone, Email                 string
	// Addresses are the client's current addresses read from a table of
	// their own, after the one above if it is given; osoite repeats.
	Addresses []Address
}

// Address is one current address of a client (osoite). The
// client-relationship document keeps the current addresses only, not
// earlier ones (Sosmeta 1505.1, the note on osoite).
type Address struct {
	PartKey                      string // the key of the record it came from
	Street, Postcode, PostOffice string
}

// ServiceTaskRelationship is the client's relationship in one service task
// (palvelutehtävän asiakkuus) and its service unit (palveluyksikön asiakkuus).
type ServiceTaskRelationship struct {
	// PartKey is the key of the service-task record this came from, ""
	// when it came from the client record's own list.
	PartKey     string
	ServiceTask string // 1.2.246.537.6.1221
	Unit        Organisation
	Start       time.Time
	End         time.Time
}

// Relationship is the social-welfare client relationship (sosiaalihuollon
// asiakkuus) described by the client-relationship document.
type Relationship struct {
	SourceKey    string
	Client       Client
	Start        time.Time
	End          time.Time
	EndReason    string
	Old          bool // vanha_asiakkuus: migrated, began before joining the archive
	ServiceTasks []ServiceTaskRelationship
	// RelatedPersons are the persons related to the client (a guardian, a
	// next of kin), as far as the legacy system keeps them.
	RelatedPersons []RelatedPerson
	// Items are the records of kinds written generically into the
	// client-relationship document (Item).
	Items []Item
	Unit  Organisation
}

// Item is a record carried in its carrier's structured form as one item of
// a repeated property, built from its kind's fields (package entity) by no
// code of its own: the kind says which property, each field which of the
// item's properties it fills.
type Item struct {
	Entity   Entity
	Key      string         // the key of the record it came from
	Property string         // the carrier's property it is an item of
	Values   map[string]any // the item's properties: text, true/false, {system, value}
}

// RelatedPerson is a person related to the client (asiakkaaseen liittyvä
// henkilö). The role is free text: no national role code is loaded here.
type RelatedPerson struct {
	PartKey       string // the key of the record it came from
	FamilyName    string
	GivenNames    string
	IdentityCode  string
	Role          string // roolin kuvaus
	Phone         string
	NonDisclosure bool // the person's own turvakielto: no contact data in the document
}

// CaseClient links a client to a case (asialiitos).
type CaseClient struct {
	ClientKey string
	// MemberKey is the key of the case-member record this membership came
	// from, "" when it came from the case record itself.
	MemberKey string
	// Identity is the identity code (or temporary identifier) the source
	// names the client by when it has no client key; resolving finds the
	// client's key from it.
	Identity string
	Client   Client
	Joined   time.Time
	Left     time.Time
}

// Case is a social-welfare case (asia).
type Case struct {
	SourceKey    string
	Name         string // 1.2.246.537.6.1265
	NameOther    string // free text when Name is 99 (Muu)
	Status       string // 1.2.246.537.6.1501
	Opened       time.Time
	Closed       time.Time
	ServiceTask  string
	Clients      []CaseClient
	RelatedCases []string // source keys of related cases
	// Items are the records of kinds written generically into the case
	// document (Item).
	Items []Item
	Unit  Organisation
}

// Author is the professional who drew up a document.
type Author struct {
	RegistrationNumber string // 1.2.246.537.26
	FamilyName         string
	GivenNames         string
	Title              string
}

// Document is a client document of one of the general types.
type Document struct {
	SourceKey       string
	ClientKey       string
	ClientIdentity  string // the client's identity code, when the source names the client by it (see CaseClient.Identity)
	CaseKey         string
	Client          Client
	Type            string // general type, 1.2.246.537.6.1506
	SpecificType    string // specific type, same code system; may be empty
	ServiceTask     string
	SocialServices  []string
	Author          Author
	DrawnUp         time.Time
	Confidentiality string
	Version         int
	ReplacesKey     string // source key of the version this one replaces
	// AttachedToKey is the source key of the document this one is an
	// attachment of (a scanned application behind a decision): archived
	// as a document of its own, after it, in its case.
	AttachedToKey string
	// CorrectionReason says why a replacing version was made, as the
	// source gives it ("" when it does not say): shown in the display form,
	// DefaultCorrectionReason there when empty.
	CorrectionReason string
	// MinorDisclosure is the minor's stand on disclosing the document to
	// guardians (1.2.246.537.6.1286), where the source records it; a
	// document of a minor without it carries MinorDisclosureDefault.
	MinorDisclosure string
	Title           string
	Text            string // legacy free text, the display form's body
	// Body holds the text's bytes when the mapping reads them as bytes (a
	// file, Base64, a BLOB); Text is then empty.
	Body []byte
	// TextFormat is how Text is written: text (the default), rtf, html,
	// docx, pdf, tiff, or auto (each document sniffed); see package body.
	// BodyPDFA marks a Body staging has made a valid PDF/A-1b (package
	// pdfa), which the document carries as it is.
	TextFormat string
	// BodyFile is the file a Body was read from (file_root), for the report.
	BodyFile string
	// BodySHA256 is the SHA-256 of the source's bytes of a body carried as
	// PDF/A (hex), BodyNote what was done to carry it: the report lists
	// both, and a record staged again with the same bytes keeps its PDF/A.
	BodySHA256 string
	BodyNote   string
	Structured map[string]string // Sosmeta field path -> value, from the mapping
	Unit       Organisation
}

// StoredBody, WithoutBody and SetStoredBody let the state store keep a
// document's body bytes beside its other fields as they are
// (state.BodyCarrier), not in Base64 inside its JSON.
func (d Document) StoredBody() []byte { return d.Body }

// WithoutBody is the document without its body bytes.
func (d Document) WithoutBody() any { d.Body = nil; return d }

// SetStoredBody gives a decoded document its body bytes back.
func (d *Document) SetStoredBody(b []byte) { d.Body = b }

// BodyPDFA is the TextFormat of a body carried as PDF/A-1b. Only staging
// sets it, on bytes the validator passed; a mapping cannot name it.
const BodyPDFA = "pdf/a"

// MinorDisclosureDefault is the authorization/consent code of a document
// whose client was a minor when it was drawn up and whose source records
// no stand: 1, may be disclosed to the guardians, which is the law's rule
// while the minor has not forbidden it (Laki sosiaalihuollon asiakkaan
// asemasta 11 §); an inference, counted (InferMinorDisclosure).
const MinorDisclosureDefault = "1"

// MinorAt says whether a client born on birth was under 18 on the day of
// t, both read as calendar days in their zones (false when either is
// unknown): of age from the 18th birthday, and from 1 March for one born
// on 29 February.
func MinorAt(birth, t time.Time) bool {
	if birth.IsZero() || t.IsZero() {
		return false
	}
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	return day(t.Date()).Before(day(birth.Date()).AddDate(18, 0, 0))
}

// DefaultCorrectionReason is what the display form of a replacing version
// whose source gives no reason says: the legacy system kept the versions, not why.
const DefaultCorrectionReason = "Korjattu versio; korjauksen syy ei ole tiedossa (siirretty vanhasta asiakastietojärjestelmästä)"

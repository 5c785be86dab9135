package kanta

// NationalRule is a rule of the national archive that JSON Schema cannot
// express: a Sosmeta note states it (DOMAIN §11), or the real archive
// samples show it. kantamig applies each where its Effect says; a new one
// is a line here, the code that applies it, and a test with a document
// that breaks it. docs/national-rules.md lists this table word for word.
type NationalRule struct {
	Rule   string // the finding's rule, where breaking it rejects or warns a record; "" where it shapes the document
	Path   string // where it applies: the Sosmeta structure and the path in it
	Source string // what states it
	Effect string // what kantamig does
}

// Names of the rules that reject a record.
const (
	RuleOldIdentityCode = "old-relationship-identity-code"
	RuleOldBirthDate    = "old-relationship-birth-date"
)

// The structure every national rule here belongs to.
const relationshipStructure = "1.2.246.537.6.1505.1 asiakkuusasiakirja"

// NationalRules is every national rule kantamig applies.
var NationalRules = []NationalRule{
	{"", relationshipStructure + "/sosiaalihuollon_asiakkuus/vanha_asiakkuus",
		"Sosmeta note: when old data is archived as separate client-relationship documents, say that the relationship is old",
		"every client relationship kantamig carries (begun before joining the archive) says vanha_asiakkuus: true"},
	{RuleOldIdentityCode, relationshipStructure + "/asiakas/henkilotunnus",
		"Sosmeta note: either the temporary identifier or the identity code is required; for an old relationship (archiving old data) the identity code is required",
		"a client known only by a temporary identifier is rejected, and with it its cases and documents (rule old-relationship-identity-code)"},
	{RuleOldBirthDate, relationshipStructure + "/asiakas/syntymaaika",
		"Sosmeta note: for an old relationship (archiving old data) the birth date is required",
		"the birth date comes from the source, or else from the identity code; a client with neither is rejected (rule old-relationship-birth-date)"},
	{"", relationshipStructure + "/asiakkuuden_yksilointitunnus, /palvelunjarjestajan_toimintayksikko, /sosiaalihuollon_palvelutehtava",
		"Sosmeta notes: required, except for an old relationship",
		"kantamig fills them when it has them; a relationship without service tasks is archived without the block, not rejected"},
	{RuleNonDisclosure, relationshipStructure + "/asiakas/turvakielto",
		"Sosmeta note: under non-disclosure the home municipality, the temporary municipality and the contact data but the phone number and the contact address are not shown on the client-relationship document",
		"the home municipality, the address and the e-mail address are left out of the structured and the display form, the phone number kept (warning non-disclosure); a legacy system's address is the home address as a rule, so it is left out rather than shown as a contact address"},
	{"", "every document's display form: the identity code",
		"the real archive samples (client relationship and plan) show the identity code masked, DDMMYY*****",
		"the display form shows the identity code as its first six characters and five asterisks; the structured form and the header keep it whole"},
}

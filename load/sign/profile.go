package sign

// Algorithm identifiers of the profile.
const (
	AlgExcC14N    = "http://www.w3.org/2001/10/xml-exc-c14n#"
	AlgRSASHA256  = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
	AlgSHA256     = "http://www.w3.org/2001/04/xmlenc#sha256"
	AlgEnveloped  = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
	NamespaceDSig = "http://www.w3.org/2000/09/xmldsig#"
	NamespaceFI   = "urn:hl7finland"
	NamespaceCDA  = "urn:hl7-org:v3"
)

// Signature types (1.2.246.537.5.40127.2006).
const (
	TypeProfessional = "1"
	TypeSystem       = "3"
)

// headerEnd is where the signature collection goes: the end of the Finnish header.
const headerEnd = "</hl7fi:localSocialHeader>"

package archive

import (
	"strconv"

	"github.com/beevik/etree"
)

func docOID(doc []byte) string {
	d := etree.NewDocument()
	if d.ReadFromBytes(doc) != nil || d.Root() == nil {
		return ""
	}
	return attr(d.Root(), "id", "root")
}

// testIdentityCodesOnly refuses a document naming a person whose identity
// code is outside the test range: a test archive must never receive real ones.
func testIdentityCodesOnly(doc []byte) error {
	d := etree.NewDocument()
	if err := d.ReadFromBytes(doc); err != nil {
		return refuse("the document is not well-formed XML: %v", err)
	}
	for _, id := range d.FindElements("//recordTarget/patientRole/id[@root='1.2.246.21']") {
		code := id.SelectAttrValue("extension", "")
		if len(code) == 11 {
			if n, err := strconv.Atoi(code[7:10]); err == nil && n >= 900 {
				continue
			}
		}
		return refuse("a test archive accepts only test identity codes (individual number 900–999)")
	}
	return nil
}

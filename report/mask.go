package report

import (
	"regexp"

	"github.com/kantamig/kantamig/kanta"
)

var identityCodeLike = regexp.MustCompile(`\b[0-3][0-9][01][0-9]{3}[-+A-FU-Y][0-9]{3}[0-9A-Y]\b`)

func maskIfIdentity(s string) string {
	if identityCodeLike.MatchString(s) {
		return identityCodeLike.ReplaceAllStringFunc(s, kanta.MaskIdentityCode)
	}
	return s
}

func maskIdentityCodes(s string) string { return maskIfIdentity(s) }

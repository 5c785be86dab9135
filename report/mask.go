package report

import "github.com/kantamig/kantamig/kanta"

func maskIfIdentity(s string) string { return kanta.MaskIdentityCodesIn(s) }

func maskIdentityCodes(s string) string { return maskIfIdentity(s) }

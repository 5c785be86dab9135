package kanta

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// IdentityCodeSystem is the OID of personal identity codes: the root of
// an identity code in the header and its system in a structured form.
const IdentityCodeSystem = "1.2.246.21"

// checkChars maps int(DDMMYYNNN) mod 31 to the check character; G, I, O, Q and Z
// are left out so that no check character can be misread.
const checkChars = "0123456789ABCDEFHJKLMNPRSTUVWXY"

// centuryOf gives the century of every century sign, including the signs added
// by the 2023 reform (Y X W V U for the 1900s, B C D E F for the 2000s).
var centuryOf = map[byte]int{
	'+': 1800,
	'-': 1900, 'Y': 1900, 'X': 1900, 'W': 1900, 'V': 1900, 'U': 1900,
	'A': 2000, 'B': 2000, 'C': 2000, 'D': 2000, 'E': 2000, 'F': 2000,
}

// IdentityCode is a parsed Finnish personal identity code (henkilötunnus).
type IdentityCode struct {
	Code       string    // the code as given, upper case
	BirthDate  time.Time // from DDMMYY and the century sign
	Individual int       // NNN
}

// TestRange reports whether the individual number is in 900–999, the range of
// temporary codes and test persons.
func (c IdentityCode) TestRange() bool { return c.Individual >= 900 }

// Sex gives the sex the individual number implies: "1" (male, odd) or "2"
// (female, even), in the code set 1.2.246.537.5.1.
func (c IdentityCode) Sex() string {
	if c.Individual%2 == 1 {
		return "1"
	}
	return "2"
}

// IdentityCodeError says why a string is not a valid identity code. Rule is a
// short stable name for reports; the error text is for people.
type IdentityCodeError struct {
	Rule   string
	Reason string
}

func (e *IdentityCodeError) Error() string { return e.Reason }

func badCode(rule, format string, args ...any) error {
	return &IdentityCodeError{Rule: rule, Reason: fmt.Sprintf(format, args...)}
}

// ParseIdentityCode validates a personal identity code: its shape, the century
// sign, that the date exists, that the individual number is at least 002, and
// the mod-31 check character. It never includes the code itself in the error,
// so errors can be logged.
func ParseIdentityCode(s string) (IdentityCode, error) {
	if len(s) != 11 {
		return IdentityCode{}, badCode(RuleHetuFormat, "identity code must be 11 characters (DDMMYYCNNNQ), got %d", len(s))
	}
	if strings.ToUpper(s) != s {
		// Never upper-cased here: the archive would get a string the source
		// does not hold.
		return IdentityCode{}, badCode(RuleHetuFormat, "identity code has lower-case letters; identity codes are written in upper case: correct it in the source")
	}
	digits := s[0:6] + s[7:10]
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return IdentityCode{}, badCode(RuleHetuFormat, "identity code must have digits in positions 1–6 and 8–10")
		}
	}
	century, ok := centuryOf[s[6]]
	if !ok {
		return IdentityCode{}, badCode(RuleHetuCentury, "identity code has an unknown century sign %q", s[6])
	}
	day, _ := strconv.Atoi(s[0:2])
	month, _ := strconv.Atoi(s[2:4])
	year, _ := strconv.Atoi(s[4:6])
	year += century
	birth := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	if birth.Day() != day || int(birth.Month()) != month || birth.Year() != year {
		return IdentityCode{}, badCode(RuleHetuDate, "identity code has an impossible birth date")
	}
	if birth.After(time.Now()) {
		// A century sign of the 2000s on a year not yet come: a typo (A for
		// -), or a code made up; no archived record is of a person unborn.
		return IdentityCode{}, badCode(RuleHetuDate, "identity code has a birth date in the future: check its century sign")
	}
	individual, _ := strconv.Atoi(s[7:10])
	if individual < 2 {
		return IdentityCode{}, badCode(RuleHetuIndividual, "identity code has an individual number below 002")
	}
	n, _ := strconv.Atoi(digits)
	if want := checkChars[n%31]; s[10] != want {
		return IdentityCode{}, badCode(RuleHetuCheck, "identity code check character is wrong")
	}
	return IdentityCode{Code: s, BirthDate: birth, Individual: individual}, nil
}

// identityCodeLike finds what is shaped like an identity code inside text.
var identityCodeLike = regexp.MustCompile(`\b[0-3][0-9][01][0-9]{3}[-+A-FU-Y][0-9]{3}[0-9A-Y]\b`)

// MaskIdentityCodesIn masks, with MaskIdentityCode, everything shaped like an
// identity code inside a text (a locator, a reason, a listed value).
func MaskIdentityCodesIn(s string) string {
	if identityCodeLike.MatchString(s) {
		return identityCodeLike.ReplaceAllStringFunc(s, MaskIdentityCode)
	}
	return s
}

// MaskIdentityCode hides the individual part of an identity code for logs and
// reports: "010190-999K" becomes "010190*****". Anything not shaped like a code
// is masked whole but for its length.
func MaskIdentityCode(s string) string {
	if s == "" {
		return ""
	}
	if len(s) == 11 {
		return s[:6] + "*****"
	}
	return fmt.Sprintf("***(%d)", len(s))
}

// IdentityCodesLikeIn gives, in order, everything inside a text shaped like
// an identity code (the check character not checked: a mistyped code is
// still somebody's).
func IdentityCodesLikeIn(text []byte) []string {
	var out []string
	for _, m := range identityCodeLike.FindAll(text, -1) {
		out = append(out, string(m))
	}
	return out
}

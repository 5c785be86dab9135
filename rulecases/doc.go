// Package rulecases proves every rule kantamig names (kanta.Rules): its
// tests produce each rule from records, through the stages that produce it
// in a run, and fail when a rule is produced by no case. Most rules come
// from the mapping test cases of testdata/rules.test.yaml (a whole dry-run
// of small records, as `kantamig test` runs them); the rest, which only
// bytes in a file, a sample, a size limit, a delivery or a second run can
// produce, have a scenario of their own in the tests. A rule added to
// kanta.Rules without a case fails TestEveryRuleIsProduced.
//
// The package holds no code of its own; it is tests and their fixtures.
package rulecases

// Package kanta is the vocabulary every stage of kantamig shares: the national
// model of social-welfare client data (clients, client relationships, cases and
// documents), the code sets the archive classifies them with, personal identity
// codes and OIDs.
//
// It exists so that extraction, mapping, transformation and loading speak of the
// same things in the same words, and so that the rules of the national model
// (which code values exist, what a valid identity code is) are checked in one
// place. Facts marked as inferred in DOMAIN.md are kept as data, not as code:
// a migration team replaces them by loading the national code server's exports.
package kanta

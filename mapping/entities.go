package mapping

import (
	"github.com/kantamig/kantamig/entity"
	"github.com/kantamig/kantamig/kanta"
)

// Of lists an entity's compiled source blocks, in the mapping's order.
func (m *Mapping) Of(e kanta.Entity) []*EntityMapping { return m.blocks[e] }

// Carries says whether the mapping maps any kind the carrier's document
// carries (service tasks of a client, members of a case): the carrier's
// document is then built once they are read.
func (m *Mapping) Carries(carrier kanta.Entity) bool {
	for _, k := range entity.CarriedBy(carrier) {
		if len(m.Of(k.Entity)) > 0 {
			return true
		}
	}
	return false
}

// Blocks lists every source block of every entity, in reading order (the
// order of entity.Kinds).
func (m *Mapping) Blocks() []*EntityMapping {
	var out []*EntityMapping
	for _, k := range entity.Kinds {
		out = append(out, m.Of(k.Entity)...)
	}
	return out
}

// blocksOf are a kind's blocks as the mapping file writes them.
func (c *Config) blocksOf(k *entity.Kind) EntityBlocks { return c.Entities[k.Key] }

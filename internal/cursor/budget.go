package cursor

// CheckpointBudget: a cursor is written to storage after every page, so
// what it keeps must stay small whatever a server returns (a server that
// keeps returning new ids at one timestamp would otherwise grow it without
// end). Each list of ids has a budget in bytes of its JSON; together they
// keep a checkpoint under 1 MiB. Ids past a budget are not kept: records
// with those ids may then be delivered again (never lost), and the engine
// counts and reports them.
const (
	// CheckpointBudget is the most a stored cursor holds, in bytes.
	CheckpointBudget = edgeIDsBudget + 2*seenBudget + nearBudget
	edgeIDsBudget    = 384 << 10 // Walk.EdgeIDs: a tie group of 10,000 Logto ids fits
	seenBudget       = 256 << 10 // State.Seen, and Walk.Seen
	nearBudget       = 64 << 10  // Walk.EdgeNear
)

// idCost and seenCost are the bytes an entry takes in the JSON of a state.
func idCost(id string) int { return len(id) + 4 }

func seenCost(list []Seen) int {
	n := 0
	for _, s := range list {
		n += len(s.ID) + 40
	}
	return n
}

// capIDs keeps the longest prefix of ids within budget.
func capIDs(ids []string, budget int) (kept []string, dropped int) {
	used := 0
	for i, id := range ids {
		if used += idCost(id); used > budget {
			return ids[:i], len(ids) - i
		}
	}
	return ids, 0
}

// capSeen keeps the longest prefix of list within budget.
func capSeen(list []Seen, budget int) (kept []Seen, dropped int) {
	used := 0
	for i, s := range list {
		if used += len(s.ID) + 40; used > budget {
			return list[:i], len(list) - i
		}
	}
	return list, 0
}

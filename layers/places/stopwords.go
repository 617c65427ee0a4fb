package places

// stopwords are folded names never matched alone: English words that are
// also the names of towns (Of and Batman in Türkiye, Bar in Montenegro) or
// too short to mean a place in running text.
var stopwords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range []string{
		"a", "an", "the", "of", "in", "on", "at", "by", "to", "for", "from", "with", "as", "is", "it",
		"be", "or", "and", "but", "not", "no", "so", "if", "we", "he", "she", "they", "us", "our",
		"this", "that", "these", "those", "its", "his", "her", "their", "was", "were", "are", "has",
		"have", "had", "will", "would", "can", "may", "might", "must", "should", "could", "one", "two",
		"new", "old", "north", "south", "east", "west", "central", "upper", "lower", "big", "little",
		"great", "small", "bar", "mart", "ulus", "gas", "oil", "port", "bay", "city",
		"sea", "lake", "river", "island", "union", "victory", "peace", "independence", "president",
		"prime", "minister", "march", "may", "june", "july", "august", "say", "said", "man", "sale",
		"pace", "vale", "hope", "bath", "reading", "nice", "mobile", "ali",
		"mir", "post", "bank", "border", "state", "states", "republic", "region", "district",
		"province", "ministry", "army", "war", "front", "centre", "center", "airport", "base",
	} {
		m[" "+w+" "] = true
	}
	return m
}()

func stopword(k string) bool { return stopwords[k] || len(k) <= 4 } // " xy " and shorter

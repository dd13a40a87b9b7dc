package match

import "sort"

// LookupKeys returns the candidates of all of keys as one list, best first
// (the order LookupKey keeps within one key), each entry once: mocks found
// by different keys of one request compete by priority, not by key.
func (ix *Index) LookupKeys(ns, proto string, keys ...string) []*Entry {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	sp := ix.spaces[ns]
	if sp == nil {
		return nil
	}
	var out []*Entry
	seen := map[*Entry]bool{}
	for _, k := range keys {
		for _, e := range sp.keyed[proto][k] {
			if !seen[e] {
				seen[e] = true
				out = append(out, e)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return before(out[i], out[j]) })
	return out
}

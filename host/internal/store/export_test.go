package store

import "gorm.io/gorm"

// DBForTest gives the external test package the raw connection, to set up
// states no public method produces (use counters, past expiry, old schemas).
func DBForTest(s *Store) *gorm.DB { return s.db }

package tester

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
)

// maxDataRows bounds iteration data.
const maxDataRows = 100000

// ParseData reads iteration data as newman's -d does: a JSON array of
// objects, or CSV whose first row names the variables.
func ParseData(b []byte) ([]map[string]any, error) {
	b = bytes.TrimSpace(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")))
	if len(b) == 0 {
		return nil, nil
	}
	if b[0] == '[' {
		var rows []map[string]any
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		if err := dec.Decode(&rows); err != nil {
			return nil, fmt.Errorf("JSON data must be an array of objects: %v", err)
		}
		if len(rows) > maxDataRows {
			return nil, fmt.Errorf("at most %d iterations of data", maxDataRows)
		}
		return rows, nil
	}
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = -1
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("CSV data: %v", err)
	}
	var rows []map[string]any
	for line := 2; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("CSV data: %v", err)
		}
		if len(rows) >= maxDataRows {
			return nil, fmt.Errorf("at most %d iterations of data", maxDataRows)
		}
		row := make(map[string]any, len(head))
		for i, k := range head {
			if i < len(rec) {
				row[k] = rec[i]
			}
		}
		rows = append(rows, row)
	}
	return rows, nil
}

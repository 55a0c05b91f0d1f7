package core

import (
	"testing"

	"github.com/hull-project/hull/core/volume"
)

func TestVolumeFilter(t *testing.T) {
	h := &Hull{}
	db := &volume.Volume{Name: "pgdata", Driver: "local", Labels: map[string]string{"tier": "db", "k": ""}}
	web := &volume.Volume{Name: "static", Driver: "local", Labels: map[string]string{}}
	tests := []struct {
		filters  []string
		prune    bool
		db, web  bool
		parseErr bool
	}{
		{nil, false, true, true, false},
		{[]string{"label=tier"}, false, true, false, false},
		{[]string{"label=tier=db"}, false, true, false, false},
		{[]string{"label=tier=web"}, false, false, false, false},
		{[]string{"label=k="}, false, true, false, false},
		{[]string{"label!=tier"}, true, false, true, false},
		{[]string{"name=stat"}, false, false, true, false},
		{[]string{"driver=local", "name=pg"}, false, true, false, false},
		{[]string{"name=pg"}, true, false, false, true},
		{[]string{"all=true"}, true, true, true, false},
		{[]string{"bogus=1"}, false, false, false, true},
		{[]string{"name!=x"}, false, false, false, true},
		{[]string{"dangling=maybe"}, false, false, false, true},
		{[]string{"nofield"}, false, false, false, true},
	}
	for _, tt := range tests {
		keep, err := h.volumeFilter(tt.filters, tt.prune)
		if (err != nil) != tt.parseErr {
			t.Errorf("%q: error %v, want error %v", tt.filters, err, tt.parseErr)
			continue
		}
		if err == nil && (keep(db) != tt.db || keep(web) != tt.web) {
			t.Errorf("%q: keeps db %v web %v, want %v %v", tt.filters, keep(db), keep(web), tt.db, tt.web)
		}
	}
}

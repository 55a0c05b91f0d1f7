package builders

import (
	"reflect"
	"testing"

	"github.com/hull-project/hull/plugins/sdk"
)

// A response without a config (a plugin that only changes files and returns
// sdk.Response{History: ...}) keeps the stage's Env and Cmd.
func TestResultConfigEmptyKeepsConfig(t *testing.T) {
	before := sdk.Config{Env: []string{"PATH=/bin", "GREETING=hello"}, Cmd: []string{"sh", "-c", "echo $GREETING"},
		WorkingDir: "/app", Labels: map[string]string{"a": "b"}}
	for name, got := range map[string]sdk.Config{
		"zero":  {},
		"empty": {Env: []string{}, Cmd: []string{}, Labels: map[string]string{}},
	} {
		if out := resultConfig(before, got); !reflect.DeepEqual(out, before) {
			t.Errorf("%s: resultConfig = %+v, want the config before the step %+v", name, out, before)
		}
	}
	// A config with any field set replaces the old one as it is.
	got := sdk.Config{Cmd: []string{"true"}}
	if out := resultConfig(before, got); !reflect.DeepEqual(out, got) {
		t.Errorf("resultConfig = %+v, want the returned config %+v", out, got)
	}
}

// configEmpty looks at every field: one set alone makes a config non-empty
// (a field added to sdk.Config and not to configEmpty fails here).
func TestConfigEmptyEveryField(t *testing.T) {
	typ := reflect.TypeOf(sdk.Config{})
	for i := 0; i < typ.NumField(); i++ {
		var c sdk.Config
		f := reflect.ValueOf(&c).Elem().Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString("x")
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Slice:
			f.Set(reflect.MakeSlice(f.Type(), 1, 1))
		case reflect.Map:
			m := reflect.MakeMap(f.Type())
			m.SetMapIndex(reflect.ValueOf("k"), reflect.ValueOf("v"))
			f.Set(m)
		case reflect.Pointer:
			f.Set(reflect.New(f.Type().Elem()))
		default:
			t.Fatalf("field %s: kind %s not handled by this test", typ.Field(i).Name, f.Kind())
		}
		if configEmpty(c) {
			t.Errorf("configEmpty is true with %s set", typ.Field(i).Name)
		}
	}
	if !configEmpty(sdk.Config{}) {
		t.Error("configEmpty(sdk.Config{}) = false")
	}
}

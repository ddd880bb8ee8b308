package config

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/confmap"
	"github.com/knadh/koanf/providers/file"
	"github.com/knadh/koanf/v2"
	"github.com/spf13/pflag"
)

// EnvPrefix starts every environment variable Gatehouse reads.
const EnvPrefix = "GATEHOUSE_"

// field is one leaf key of Config.
type field struct {
	Key  string // "tokens.access_token_lifetime"
	Help string
	Def  reflect.Value
}

// fields walks Config for its leaf keys, in declaration order.
func fields() []field {
	var out []field
	var walk func(prefix string, v reflect.Value)
	walk = func(prefix string, v reflect.Value) {
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			key := prefix + f.Tag.Get("koanf")
			if f.Type.Kind() == reflect.Struct {
				walk(key+".", v.Field(i))
				continue
			}
			out = append(out, field{Key: key, Help: f.Tag.Get("help"), Def: v.Field(i)})
		}
	}
	walk("", reflect.ValueOf(Defaults()))
	return out
}

// EnvName is the environment variable for a key.
func EnvName(key string) string {
	return EnvPrefix + strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(key))
}

// FlagName is the flag for a key.
func FlagName(key string) string { return strings.ReplaceAll(key, "_", "-") }

// KeyNames lists every configuration key.
func KeyNames() []string {
	var out []string
	for _, f := range fields() {
		out = append(out, f.Key)
	}
	return out
}

// RegisterFlags adds --config and one flag per key to fs.
func RegisterFlags(fs *pflag.FlagSet) {
	fs.String("config", "", "YAML configuration file (env "+EnvPrefix+"CONFIG)")
	for _, f := range fields() {
		name := FlagName(f.Key)
		help := f.Help + " (env " + EnvName(f.Key) + ")"
		switch def := f.Def.Interface().(type) {
		case bool:
			fs.Bool(name, def, help)
		case int:
			fs.Int(name, def, help)
		case float64:
			fs.Float64(name, def, help)
		case time.Duration:
			fs.Duration(name, def, help)
		case string:
			if f.Key == "secret" {
				help = f.Help + " (prefer env " + EnvName(f.Key) + ": flags show in ps)"
			}
			fs.String(name, def, help)
		default:
			panic(fmt.Sprintf("config: no flag type for %s", f.Key))
		}
	}
}

// Load builds the configuration from defaults, the file named by --config
// or GATEHOUSE_CONFIG, the environment (environ, as os.Environ gives it) and
// the flags that were set, then validates it.
func Load(fs *pflag.FlagSet, environ []string) (*Config, error) {
	k := koanf.New(".")
	defaults := map[string]any{}
	for _, f := range fields() {
		defaults[f.Key] = f.Def.Interface()
	}
	if err := k.Load(confmap.Provider(defaults, "."), nil); err != nil {
		return nil, err
	}

	env := map[string]string{}
	for _, kv := range environ {
		if name, val, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(name, EnvPrefix) {
			env[name] = val
		}
	}

	path := env[EnvPrefix+"CONFIG"]
	if fs != nil {
		if f := fs.Lookup("config"); f != nil && f.Changed {
			path = f.Value.String()
		}
	}
	if path != "" {
		fk := koanf.New(".")
		if err := fk.Load(file.Provider(path), yaml.Parser()); err != nil {
			return nil, fmt.Errorf("config: file %s: %w", path, err)
		}
		known := map[string]bool{}
		for _, key := range KeyNames() {
			known[key] = true
		}
		sections := map[string]bool{}
		for key := range known {
			for i := strings.Index(key, "."); i >= 0; i = strings.Index(key[i+1:], ".") + i + 1 {
				sections[key[:i]] = true
				if !strings.Contains(key[i+1:], ".") {
					break
				}
			}
		}
		for _, key := range fk.Keys() {
			// A section left empty (every child commented out) is fine.
			if sections[key] && isEmpty(fk.Get(key)) {
				fk.Delete(key)
				continue
			}
			if !known[key] {
				return nil, &KeyError{Key: key, Msg: fmt.Sprintf("unknown key in %s", path)}
			}
		}
		if err := k.Merge(fk); err != nil {
			return nil, err
		}
	}

	fromEnv := map[string]any{}
	for _, f := range fields() {
		if v, ok := env[EnvName(f.Key)]; ok {
			fromEnv[f.Key] = v
		}
	}
	if err := k.Load(confmap.Provider(fromEnv, "."), nil); err != nil {
		return nil, err
	}

	if fs != nil {
		fromFlags := map[string]any{}
		for _, f := range fields() {
			if fl := fs.Lookup(FlagName(f.Key)); fl != nil && fl.Changed {
				fromFlags[f.Key] = fl.Value.String()
			}
		}
		if err := k.Load(confmap.Provider(fromFlags, "."), nil); err != nil {
			return nil, err
		}
	}

	cfg := Defaults()
	// Decode key by key so an error names the key it came from.
	keys := k.Keys()
	sort.Strings(keys)
	for _, key := range keys {
		if err := decodeKey(&cfg, key, k.Get(key)); err != nil {
			return nil, err
		}
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// decodeKey sets one leaf of cfg from a raw value (string or typed).
func decodeKey(cfg *Config, key string, raw any) error {
	target, ok := leaf(reflect.ValueOf(cfg).Elem(), strings.Split(key, "."))
	if !ok {
		return &KeyError{Key: key, Msg: "unknown key"}
	}
	// YAML reads unquoted 00123 or 1234567890123456789012 as numbers; turning
	// them back into text would silently change a secret or password.
	if target.Kind() == reflect.String {
		if _, ok := raw.(string); !ok && raw != nil {
			return &KeyError{Key: key, Msg: "must be a string: quote the value in YAML"}
		}
	}
	if target.Type() == reflect.TypeOf(time.Duration(0)) {
		if _, ok := raw.(string); !ok {
			if _, typed := raw.(time.Duration); !typed {
				return &KeyError{Key: key, Msg: fmt.Sprintf("invalid value %v: a duration needs a unit, like 90s or 2h", raw)}
			}
		}
	}
	if f, ok := raw.(float64); ok && target.Kind() == reflect.Int && f != float64(int64(f)) {
		return &KeyError{Key: key, Msg: fmt.Sprintf("invalid value %v: must be a whole number", raw)}
	}
	dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{
		DecodeHook:       mapstructure.StringToTimeDurationHookFunc(),
		WeaklyTypedInput: true,
		Result:           target.Addr().Interface(),
	})
	if err != nil {
		return err
	}
	if err := dec.Decode(raw); err != nil {
		var msg string
		var de *mapstructure.DecodeError
		if errors.As(err, &de) {
			msg = de.Unwrap().Error()
		} else {
			msg = err.Error()
		}
		return &KeyError{Key: key, Msg: fmt.Sprintf("invalid value %q: %s", fmt.Sprint(raw), msg)}
	}
	return nil
}

func isEmpty(v any) bool {
	if v == nil {
		return true
	}
	m, ok := v.(map[string]any)
	return ok && len(m) == 0
}

func leaf(v reflect.Value, path []string) (reflect.Value, bool) {
	t := v.Type()
	for i := range t.NumField() {
		if t.Field(i).Tag.Get("koanf") != path[0] {
			continue
		}
		if len(path) == 1 {
			return v.Field(i), t.Field(i).Type.Kind() != reflect.Struct
		}
		if t.Field(i).Type.Kind() == reflect.Struct {
			return leaf(v.Field(i), path[1:])
		}
	}
	return reflect.Value{}, false
}

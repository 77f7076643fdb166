package config

import "strings"

// Guests says, per kind of chat user who is not a full member of the
// organisation, whether jifen lets them in: registers them as employees
// the first time they use a command or are named in one. Every kind is
// refused unless the file says allow: a guest or a person from another
// organisation would otherwise thank colleagues from a fresh allowance
// and read their scores. Members listed in the file (or imported) are
// never refused: the operator has said who they are.
type Guests struct {
	// Restricted: Slack multi-channel guests (is_restricted).
	Restricted bool `yaml:"restricted"`
	// UltraRestricted: Slack single-channel guests (is_ultra_restricted).
	UltraRestricted bool `yaml:"ultra_restricted"`
	// External: people of another organisation — on Slack another
	// workspace (Slack Connect: another team_id, or is_stranger), on
	// Feishu another tenant (tenant_key).
	External bool `yaml:"external"`
}

// guests decodes
//
//	guests: {restricted: refuse, ultra_restricted: refuse, external: allow}
//
// with the kinds the platform has; each is allow or refuse (default).
func (d *decoder) guests(v value, kinds ...string) Guests {
	var g Guests
	f := d.fields(v, kinds...)
	for _, k := range kinds {
		kv := f.get(k)
		if kv.null() {
			continue
		}
		var allow bool
		switch s := strings.ToLower(d.str(kv)); s {
		case "allow":
			allow = true
		case "refuse":
		default:
			d.add(kv.node, kv.path, "want allow or refuse, got %q", clip(s))
			continue
		}
		switch k {
		case "restricted":
			g.Restricted = allow
		case "ultra_restricted":
			g.UltraRestricted = allow
		case "external":
			g.External = allow
		}
	}
	return g
}

// MarshalYAML writes the kinds let in, as the file says them (allow); the
// others are refused. Redacted's output thus reads back as configuration.
func (g Guests) MarshalYAML() (any, error) {
	out := map[string]string{}
	for k, allow := range map[string]bool{"restricted": g.Restricted, "ultra_restricted": g.UltraRestricted, "external": g.External} {
		if allow {
			out[k] = "allow"
		}
	}
	return out, nil
}

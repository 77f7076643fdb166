package config

import (
	"os"

	"go.yaml.in/yaml/v3"

	"jifen/rules"
)

// LoadCatalog reads a proposed rule catalog for `jifen rules simulate`,
// expanding ${VAR} from the process environment.
func LoadCatalog(path string) (*rules.Catalog, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseCatalog(path, data, os.LookupEnv)
}

// ParseCatalog decodes the `rules:` section of data exactly as Parse does
// for a config, with the same checks and the same problems (file, line,
// key). The file is a YAML mapping with a `rules:` key: a copy of the config
// with its rules edited will do, and so will a file holding the `rules:`
// block alone; every other top-level key is ignored (not decoded, not
// expanded), so a copied config's unset secrets are no problem.
func ParseCatalog(path string, data []byte, getenv func(string) (string, bool)) (*rules.Catalog, error) {
	d, top, err := document(path, "catalog", data)
	if err != nil {
		return nil, err
	}
	root := deref(top)
	if root.Kind != yaml.MappingNode {
		d.add(root, "", "want a mapping with a rules: section, got %s", kindName(root))
		return nil, d.err()
	}
	var rv *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "rules" {
			rv = root.Content[i+1]
		}
	}
	if rv == nil {
		d.add(root, "rules", "required: the proposed catalog, in the config's rules: format")
		return nil, d.err()
	}
	expand(d, rv, "rules", getenv)
	c := d.rules(value{node: rv, path: "rules"})
	if err := d.err(); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, &Error{Problems: []Problem{{File: d.file, Key: "rules", Text: err.Error()}}}
	}
	return c, nil
}

module jifen

go 1.26.8

require (
	go.etcd.io/bbolt v1.5.0
	golang.org/x/term v0.48.0
	gopkg.in/yaml.v3 v3.0.1
)

require golang.org/x/sys v0.50.0 // indirect

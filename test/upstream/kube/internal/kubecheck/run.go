package kubecheck

import (
	"path/filepath"

	"github.com/cdk8s-azureml-mesh/test/upstream/common"
)

// Checker holds the loaded schemas.
type Checker struct {
	CRDs        *CRDs
	Swagger     *Swagger
	Kubeconform *Kubeconform
}

// New loads the CRDs and the OpenAPI document from the repository's schemas/.
func New(schemasDir string) (*Checker, error) {
	crds, err := LoadCRDs(schemasDir)
	if err != nil {
		return nil, err
	}
	sw, err := LoadSwagger(filepath.Join(schemasDir, "kubernetes", "swagger.json"))
	if err != nil {
		return nil, err
	}
	kc, err := NewKubeconform(sw)
	if err != nil {
		return nil, err
	}
	return &Checker{CRDs: crds, Swagger: sw, Kubeconform: kc}, nil
}

// Close releases temporary files.
func (c *Checker) Close() { c.Kubeconform.Close() }

// Run checks every object of every app: custom resources with the CRD
// validation, built-in objects with kubeconform, every object's metadata.
func (c *Checker) Run(apps []*common.App) *common.Result {
	r := common.NewResult(common.ToolCRD, common.ToolCore, common.ToolCoreMeta)
	for _, a := range apps {
		for _, o := range a.Objects {
			if c.Swagger.Has(o) {
				r.Checked(common.ToolCore, o)
				r.Add(c.Kubeconform.Validate(o)...)
			} else {
				// Anything the built-in OpenAPI does not define must be a
				// custom resource of a vendored CRD: a kind that neither
				// knows is an error (NoCRD).
				fs, checked := c.CRDs.Validate(o)
				if checked {
					r.Checked(common.ToolCRD, o)
				}
				r.Add(fs...)
			}
			r.Checked(common.ToolCoreMeta, o)
			r.Add(ValidateMeta(o)...)
		}
	}
	return r
}

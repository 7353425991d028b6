package objects

// Object is one rendered Kubernetes object.
type Object map[string]any

// Kind, Name and Metadata read the object's identity.
func (o Object) Kind() string { s, _ := o["kind"].(string); return s }

func (o Object) Name() string { s, _ := o.Metadata()["name"].(string); return s }

func (o Object) Metadata() map[string]any { m, _ := o["metadata"].(map[string]any); return m }

package components

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/common/model"
)

// SettingNames name a component's settings in its validation errors: each setting, as its field
// in the component's settings type ("Cache.Validity"), maps to the name the caller knows it by.
// The program maps each to the config key it reads the setting from; a setting without a name
// is called by its field.
type SettingNames map[string]string

func (n SettingNames) name(setting string) string {
	if name, ok := n[setting]; ok {
		return name
	}
	return setting
}

// SettingError is a bad value of one setting: Setting is its field, Name what SettingNames call
// it, Message what is wrong and what is allowed, naming other settings by their names too.
type SettingError struct {
	Setting, Name, Message string
}

func (e *SettingError) Error() string { return e.Name + ": " + e.Message }

// SettingErrors collect a component's validation errors under the caller's names.
type SettingErrors struct {
	names SettingNames
	errs  []error
}

// NewSettingErrors starts collecting errors named by names.
func NewSettingErrors(names SettingNames) *SettingErrors { return &SettingErrors{names: names} }

// Fail records a bad value of setting.
func (v *SettingErrors) Fail(setting, format string, args ...any) {
	v.errs = append(v.errs, &SettingError{Setting: setting, Name: v.names.name(setting), Message: fmt.Sprintf(format, args...)})
}

// Name is what the caller calls setting, for messages that name other settings.
func (v *SettingErrors) Name(setting string) string { return v.names.name(setting) }

// Err joins the errors recorded, nil if none.
func (v *SettingErrors) Err() error { return errors.Join(v.errs...) }

// PrometheusDuration checks a Prometheus duration ("30d", "2y"; "0d" where allowZero), as
// Prometheus and Thanos parse these flags (model.ParseDuration), and returns it.
func (v *SettingErrors) PrometheusDuration(setting, value string, allowZero bool) (time.Duration, bool) {
	d, err := model.ParseDuration(value)
	if err != nil {
		v.Fail(setting, "%q is not a duration; use a number with a unit of y, w, d, h, m or s, such as 30d", value)
		return 0, false
	}
	if d == 0 && !allowZero {
		v.Fail(setting, "must be more than 0")
		return 0, false
	}
	return time.Duration(d), true
}

// GoDuration checks a positive Go duration (time.ParseDuration: no d, w or y units).
func (v *SettingErrors) GoDuration(setting, value string) {
	if d, err := time.ParseDuration(value); err != nil || d <= 0 {
		v.Fail(setting, "%q is not a positive Go duration such as 24h, 30m or 10s (no d or w units)", value)
	}
}

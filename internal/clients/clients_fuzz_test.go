package clients_test

import (
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/clients"
)

// Unix seconds of 0001-01-01 and 9999-12-31: the clock stays in years a
// YYYY-MM-DD date can name.
const (
	minUnix = -62135596800
	maxUnix = 253402300799
)

// FuzzSecretExpiry checks SecretExpiry never panics and that whatever it
// accepts is a UTC midnight after today, at most 24 months and a day away,
// that renders back as the date given. Seeds: testdata/fuzz/FuzzSecretExpiry.
func FuzzSecretExpiry(f *testing.F) {
	base := now.Unix()
	f.Add("", base)
	f.Add(today, base)
	f.Add("2025-03-09", base)
	f.Add("2027-03-10", base)
	f.Add("2027-03-11", base)
	f.Add("2024-02-29", int64(1709164800)) // on a leap day
	f.Add("9999-12-31", int64(maxUnix))
	f.Add("0000-01-01", int64(minUnix))
	f.Add("2025-13-01", base)
	f.Add("2025-02-29", base)
	f.Fuzz(func(t *testing.T, date string, unix int64) {
		// Clamp the clock into years 1…9999, as the service's clock always is.
		span := uint64(maxUnix - minUnix + 1)
		secs := minUnix + int64(uint64(unix)%span)
		n := time.Unix(secs, 0).UTC()
		todayUTC := time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, time.UTC)

		got, err := clients.SecretExpiry(date, n)
		if err != nil {
			if !got.IsZero() {
				t.Fatalf("SecretExpiry(%q, %v) returned %v with error %v", date, n, got, err)
			}
			return
		}
		if got.Location() != time.UTC {
			t.Fatalf("SecretExpiry(%q, %v) = %v, not in UTC", date, n, got)
		}
		if h, m, s := got.Clock(); h != 0 || m != 0 || s != 0 || got.Nanosecond() != 0 {
			t.Fatalf("SecretExpiry(%q, %v) = %v, not midnight", date, n, got)
		}
		if !got.After(todayUTC) || !got.After(n) {
			t.Fatalf("SecretExpiry(%q, %v) = %v, not after today", date, n, got)
		}
		if latest := todayUTC.AddDate(0, clients.MaxSecretValidityMonths, 1); got.After(latest) {
			t.Fatalf("SecretExpiry(%q, %v) = %v, after %v (today + 24 months, end of day)", date, n, got, latest)
		}
		if date != "" {
			if back := clients.SecretExpiresOn(got); back != date {
				t.Fatalf("SecretExpiresOn(SecretExpiry(%q)) = %q", date, back)
			}
		} else if want := todayUTC.AddDate(0, 0, clients.DefaultSecretValidity+1); !got.Equal(want) {
			t.Fatalf("default SecretExpiry at %v = %v, want %v", n, got, want)
		}
	})
}

package compose

import (
	"slices"
	"strings"
	"testing"

	"github.com/hull-project/hull/core/container"
)

func TestDeviceRequests(t *testing.T) {
	p := loadTest(t, `services:
  gpu:
    image: busybox
    deploy:
      resources:
        reservations:
          devices:
          - driver: nvidia
            count: 1
            capabilities: [gpu]
          - driver: cdi
            capabilities: [gpu]
            device_ids: [example.com/dev=one]
  all:
    image: busybox
    gpus: all
  ids:
    image: busybox
    deploy:
      resources:
        reservations:
          devices:
          - capabilities: [gpu]
            device_ids: ["0", "2"]
  bad:
    image: busybox
    deploy:
      resources:
        reservations:
          devices:
          - driver: amd
            capabilities: [gpu]
`)
	for _, tc := range []struct {
		svc, gpus string
		cdi       []string
	}{{"gpu", "1", []string{"example.com/dev=one"}}, {"all", "all", nil}, {"ids", "device=0,2", nil}} {
		var o struct{ container.DeviceOptions }
		err := deviceRequests(p.P.Services[tc.svc], &o.DeviceOptions)
		if err != nil || o.GPUs != tc.gpus || !slices.Equal(o.Devices, tc.cdi) {
			t.Errorf("service %s: gpus %q devices %v err %v; want %q %v", tc.svc, o.GPUs, o.Devices, err, tc.gpus, tc.cdi)
		}
	}
	var o struct{ container.DeviceOptions }
	if err := deviceRequests(p.P.Services["bad"], &o.DeviceOptions); err == nil || !strings.Contains(err.Error(), `driver "amd"`) {
		t.Errorf("driver amd: %v", err)
	}
	if warnings, errs := Unsupported(p.P); len(errs) != 0 || strings.Contains(strings.Join(warnings, " "), "reservations") {
		t.Errorf("gpus and reservations.devices reported as unsupported: %v %v", warnings, errs)
	}
}

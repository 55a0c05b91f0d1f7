/*
 * cuinit: the smallest CUDA-free check that a container can drive the GPU.
 * It loads the driver's libcuda.so.1 the way any CUDA program does (so
 * through the library path hull's --gpus sets), calls cuInit and prints the
 * driver version and each device's name. No CUDA toolkit is needed to build
 * it: only the driver API's C signatures, declared here.
 * Exit status: 0 when cuInit succeeded and at least one device is seen.
 */
#include <dlfcn.h>
#include <stdio.h>

typedef int (*cu_init)(unsigned int);
typedef int (*cu_int)(int *);
typedef int (*cu_device_get)(int *, int);
typedef int (*cu_device_get_name)(char *, int, int);

int main(void)
{
	void *lib = dlopen("libcuda.so.1", RTLD_NOW);
	if (!lib) {
		fprintf(stderr, "cuinit: dlopen libcuda.so.1: %s\n", dlerror());
		return 2;
	}
	cu_init init = (cu_init)dlsym(lib, "cuInit");
	cu_int version = (cu_int)dlsym(lib, "cuDriverGetVersion");
	cu_int count = (cu_int)dlsym(lib, "cuDeviceGetCount");
	cu_device_get get = (cu_device_get)dlsym(lib, "cuDeviceGet");
	cu_device_get_name name = (cu_device_get_name)dlsym(lib, "cuDeviceGetName");
	if (!init || !version || !count || !get || !name) {
		fprintf(stderr, "cuinit: libcuda.so.1 lacks the driver API\n");
		return 2;
	}
	int rc = init(0);
	printf("cuInit: %d\n", rc);
	if (rc != 0)
		return 1;
	int v = 0, n = 0;
	version(&v);
	printf("driver API version: %d.%d\n", v / 1000, (v % 1000) / 10);
	rc = count(&n);
	printf("devices: %d (cuDeviceGetCount: %d)\n", n, rc);
	for (int i = 0; i < n; i++) {
		int dev = 0;
		char buf[256] = "";
		get(&dev, i);
		name(buf, sizeof buf, dev);
		printf("device %d: %s\n", i, buf);
	}
	return n > 0 ? 0 : 1;
}

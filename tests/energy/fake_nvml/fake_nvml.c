/* A fake NVML library for greentune's tests: the symbols greentune's dlopen path uses,
 * with the documented signatures, and deterministic GPUs whose power follows a ramp.
 *
 *   GPU i: power P_i(t) = (100 + 50 i) + 200 t  W      (t = seconds since nvmlInit)
 *          energy E_i(t) = 1000 J + (100 + 50 i) t + 100 t^2
 *
 * Environment (read at nvmlInit):
 *   FAKE_NVML_GPUS=N          number of GPUs (default 2, at most 8)
 *   FAKE_NVML_NO_ENERGY=1     nvmlDeviceGetTotalEnergyConsumption -> NOT_SUPPORTED (pre-Volta)
 *   FAKE_NVML_FAIL_INIT=1     nvmlInit_v2 -> DRIVER_NOT_LOADED
 * Test-only symbol: fake_nvml_true_energy_mj(i) is E_i(now) in mJ, whatever the mode. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef int nvmlReturn_t;
enum { OK = 0, ERR_UNINITIALIZED = 1, ERR_INVALID_ARGUMENT = 2, ERR_NOT_SUPPORTED = 3, ERR_DRIVER_NOT_LOADED = 9,
       ERR_NOT_FOUND = 6 };

typedef struct {
  char busIdLegacy[16];
  unsigned int domain, bus, device, pciDeviceId, pciSubSystemId;
  char busId[32];
} nvmlPciInfo_t;

struct fake_gpu { int index; };
typedef struct fake_gpu* nvmlDevice_t;

static struct fake_gpu gpus[8];
static int gpu_count = 0;
static int initialized = 0;
static int no_energy = 0;
static double t0 = 0;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double base_w(int i) { return 100.0 + 50.0 * i; }

nvmlReturn_t nvmlInit_v2(void) {
  const char* fail = getenv("FAKE_NVML_FAIL_INIT");
  if (fail && strcmp(fail, "1") == 0) return ERR_DRIVER_NOT_LOADED;
  const char* n = getenv("FAKE_NVML_GPUS");
  gpu_count = n ? atoi(n) : 2;
  if (gpu_count < 0) gpu_count = 0;
  if (gpu_count > 8) gpu_count = 8;
  const char* ne = getenv("FAKE_NVML_NO_ENERGY");
  no_energy = ne && strcmp(ne, "1") == 0;
  for (int i = 0; i < 8; ++i) gpus[i].index = i;
  if (!initialized) t0 = now_s();
  initialized = 1;
  return OK;
}

nvmlReturn_t nvmlShutdown(void) {
  initialized = 0;
  return OK;
}

const char* nvmlErrorString(nvmlReturn_t r) {
  switch (r) {
    case OK: return "Success";
    case ERR_UNINITIALIZED: return "Uninitialized";
    case ERR_INVALID_ARGUMENT: return "Invalid Argument";
    case ERR_NOT_SUPPORTED: return "Not Supported";
    case ERR_NOT_FOUND: return "Not Found";
    case ERR_DRIVER_NOT_LOADED: return "Driver Not Loaded";
    default: return "Unknown Error";
  }
}

nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int* count) {
  if (!initialized) return ERR_UNINITIALIZED;
  *count = (unsigned int)gpu_count;
  return OK;
}

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t* device) {
  if (!initialized) return ERR_UNINITIALIZED;
  if (index >= (unsigned int)gpu_count) return ERR_INVALID_ARGUMENT;
  *device = &gpus[index];
  return OK;
}

nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t d, char* uuid, unsigned int length) {
  if (!initialized) return ERR_UNINITIALIZED;
  snprintf(uuid, length, "GPU-fa4e0000-0000-0000-0000-00000000000%d", d->index);
  return OK;
}

nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t d, char* name, unsigned int length) {
  if (!initialized) return ERR_UNINITIALIZED;
  snprintf(name, length, "Fake GPU %d", d->index);
  return OK;
}

nvmlReturn_t nvmlDeviceGetPciInfo_v3(nvmlDevice_t d, nvmlPciInfo_t* pci) {
  if (!initialized) return ERR_UNINITIALIZED;
  memset(pci, 0, sizeof(*pci));
  pci->bus = 0x3B + (unsigned int)d->index;
  snprintf(pci->busIdLegacy, sizeof(pci->busIdLegacy), "0000:%02X:00.0", pci->bus);
  snprintf(pci->busId, sizeof(pci->busId), "00000000:%02X:00.0", pci->bus);
  return OK;
}

double fake_nvml_true_energy_mj(int i) {
  double t = now_s() - t0;
  return (1000.0 + base_w(i) * t + 100.0 * t * t) * 1000.0;
}

nvmlReturn_t nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t d, unsigned long long* energy_mj) {
  if (!initialized) return ERR_UNINITIALIZED;
  if (no_energy) return ERR_NOT_SUPPORTED;
  *energy_mj = (unsigned long long)fake_nvml_true_energy_mj(d->index);
  return OK;
}

nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t d, unsigned int* power_mw) {
  if (!initialized) return ERR_UNINITIALIZED;
  double t = now_s() - t0;
  *power_mw = (unsigned int)((base_w(d->index) + 200.0 * t) * 1000.0);
  return OK;
}

/*
 * A fake libnvidia-ml.so.1 for the gpu provider's tests: the NVML functions the provider binds, answering from a
 * text file next to this library (<library path>.data), read again by every nvmlInit_v2 so a test can change the
 * host between two inventories. Running processes are read from <library path>.processes on every call.
 *
 * Data lines (fields separated by one space; the name is the rest of the line):
 *   init-error <nvmlReturn_t>          nvmlInit_v2 fails with it (e.g. 18: driver/library version mismatch)
 *   driver <version>  nvml <version>  cuda <int>
 *   device <minor> <uuid> <total> <used> <gpu util %> <mem util %> <cc major> <cc minor> <mig 0|1> <lost 0|1> <name>
 *   mig <parent device ordinal> <gpu instance> <compute instance> <uuid> <total> <used> <name>
 * Process lines: <device or MIG uuid> <pid> <used bytes>
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int nvmlReturn_t;
enum { OK = 0, UNINITIALIZED = 1, INVALID_ARGUMENT = 2, NOT_SUPPORTED = 3, NOT_FOUND = 6, INSUFFICIENT_SIZE = 7,
       GPU_IS_LOST = 15, UNKNOWN = 999 };

typedef struct { unsigned long long total, free, used; } nvmlMemory_t;
typedef struct { unsigned int gpu, memory; } nvmlUtilization_t;
typedef struct { unsigned int pid; unsigned long long usedGpuMemory; unsigned int gpuInstanceId, computeInstanceId; } nvmlProcessInfo_t;

#define MAX_DEVICES 16
#define MAX_MIG 8
typedef struct device {
    int is_mig, minor, parent, gi, ci, mig_mode, lost;
    char uuid[96], name[96];
    unsigned long long total, used;
    unsigned int util_gpu, util_mem, cc_major, cc_minor;
    struct device *migs[MAX_MIG];
    int mig_count;
} device;

static device devices[MAX_DEVICES];
static device migs[MAX_DEVICES * MAX_MIG];
static int device_count, mig_total, initialized, init_error, cuda;
static char driver[64], nvml_version[64], base_path[4096];

static void find_own_path(void) {
    Dl_info info;
    if (dladdr((void *) find_own_path, &info) && info.dli_fname) {
        snprintf(base_path, sizeof base_path, "%s", info.dli_fname);
    }
}

static FILE *open_beside(const char *suffix) {
    char path[4200];
    if (!base_path[0]) find_own_path();
    snprintf(path, sizeof path, "%s.%s", base_path, suffix);
    return fopen(path, "r");
}

static void rest_of_line(char *line, int skip, char *out, size_t size) {
    char *p = line;
    for (int i = 0; i < skip && p; i++) { p = strchr(p, ' '); if (p) p++; }
    snprintf(out, size, "%s", p ? p : "");
    out[strcspn(out, "\n")] = 0;
}

static int load(void) {
    FILE *f = open_beside("data");
    char line[512];
    device_count = mig_total = init_error = cuda = 0;
    driver[0] = nvml_version[0] = 0;
    if (!f) return UNKNOWN;
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "init-error ", 11)) init_error = atoi(line + 11);
        else if (!strncmp(line, "driver ", 7)) rest_of_line(line, 1, driver, sizeof driver);
        else if (!strncmp(line, "nvml ", 5)) rest_of_line(line, 1, nvml_version, sizeof nvml_version);
        else if (!strncmp(line, "cuda ", 5)) cuda = atoi(line + 5);
        else if (!strncmp(line, "device ", 7) && device_count < MAX_DEVICES) {
            device *d = &devices[device_count];
            memset(d, 0, sizeof *d);
            if (sscanf(line + 7, "%d %95s %llu %llu %u %u %u %u %d %d", &d->minor, d->uuid, &d->total, &d->used,
                       &d->util_gpu, &d->util_mem, &d->cc_major, &d->cc_minor, &d->mig_mode, &d->lost) == 10) {
                rest_of_line(line, 11, d->name, sizeof d->name);
                device_count++;
            }
        } else if (!strncmp(line, "mig ", 4) && mig_total < MAX_DEVICES * MAX_MIG) {
            device *m = &migs[mig_total];
            memset(m, 0, sizeof *m);
            m->is_mig = 1;
            if (sscanf(line + 4, "%d %d %d %95s %llu %llu", &m->parent, &m->gi, &m->ci, m->uuid, &m->total, &m->used) == 6
                    && m->parent < device_count && devices[m->parent].mig_count < MAX_MIG) {
                rest_of_line(line, 7, m->name, sizeof m->name);
                m->minor = devices[m->parent].minor;
                devices[m->parent].migs[devices[m->parent].mig_count++] = m;
                mig_total++;
            }
        }
    }
    fclose(f);
    return OK;
}

static int copy_string(const char *value, char *out, unsigned int length) {
    if (!out) return INVALID_ARGUMENT;
    if (strlen(value) + 1 > length) return INSUFFICIENT_SIZE;
    strcpy(out, value);
    return OK;
}

#define CHECK_DEVICE(d) do { if (!initialized) return UNINITIALIZED; if (!(d)) return INVALID_ARGUMENT; \
    if ((d)->lost || ((d)->is_mig && devices[(d)->parent].lost)) return GPU_IS_LOST; } while (0)

nvmlReturn_t nvmlInit_v2(void) {
    if (load() != OK) return UNKNOWN;
    if (init_error) return init_error;
    initialized++;
    return OK;
}

nvmlReturn_t nvmlShutdown(void) {
    if (!initialized) return UNINITIALIZED;
    initialized--;
    return OK;
}

const char *nvmlErrorString(nvmlReturn_t result) {
    switch (result) {
        case OK: return "Success";
        case UNINITIALIZED: return "Uninitialized";
        case INVALID_ARGUMENT: return "Invalid Argument";
        case NOT_SUPPORTED: return "Not Supported";
        case NOT_FOUND: return "Not Found";
        case INSUFFICIENT_SIZE: return "Insufficient Size";
        case 9: return "Driver Not Loaded";
        case GPU_IS_LOST: return "GPU is lost";
        case 18: return "RM has detected an NVML/RM version mismatch.";
        default: return "Unknown Error";
    }
}

nvmlReturn_t nvmlSystemGetDriverVersion(char *version, unsigned int length) {
    return initialized ? copy_string(driver, version, length) : UNINITIALIZED;
}

nvmlReturn_t nvmlSystemGetNVMLVersion(char *version, unsigned int length) {
    return copy_string(nvml_version[0] ? nvml_version : "13.580.159.04", version, length);
}

nvmlReturn_t nvmlSystemGetCudaDriverVersion_v2(int *version) {
    if (!initialized) return UNINITIALIZED;
    *version = cuda;
    return OK;
}

nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *count) {
    if (!initialized) return UNINITIALIZED;
    *count = device_count;
    return OK;
}

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, device **out) {
    if (!initialized) return UNINITIALIZED;
    if (index >= (unsigned) device_count || !out) return INVALID_ARGUMENT;
    if (devices[index].lost) return GPU_IS_LOST;
    *out = &devices[index];
    return OK;
}

nvmlReturn_t nvmlDeviceGetHandleByUUID(const char *uuid, device **out) {
    if (!initialized) return UNINITIALIZED;
    for (int i = 0; i < device_count; i++) {
        if (!strcmp(devices[i].uuid, uuid)) { if (devices[i].lost) return GPU_IS_LOST; *out = &devices[i]; return OK; }
    }
    for (int i = 0; i < mig_total; i++) {
        if (!strcmp(migs[i].uuid, uuid)) { *out = &migs[i]; return OK; }
    }
    return NOT_FOUND;
}

nvmlReturn_t nvmlDeviceGetUUID(device *d, char *uuid, unsigned int length) {
    CHECK_DEVICE(d);
    return copy_string(d->uuid, uuid, length);
}

nvmlReturn_t nvmlDeviceGetName(device *d, char *name, unsigned int length) {
    CHECK_DEVICE(d);
    return copy_string(d->name, name, length);
}

nvmlReturn_t nvmlDeviceGetMinorNumber(device *d, unsigned int *minor) {
    CHECK_DEVICE(d);
    *minor = d->minor;
    return OK;
}

nvmlReturn_t nvmlDeviceGetMemoryInfo(device *d, nvmlMemory_t *memory) {
    CHECK_DEVICE(d);
    memory->total = d->total;
    memory->used = d->used;
    memory->free = d->total - d->used;
    return OK;
}

nvmlReturn_t nvmlDeviceGetCudaComputeCapability(device *d, int *major, int *minor) {
    CHECK_DEVICE(d);
    if (d->is_mig) { *major = devices[d->parent].cc_major; *minor = devices[d->parent].cc_minor; }
    else { *major = d->cc_major; *minor = d->cc_minor; }
    return OK;
}

nvmlReturn_t nvmlDeviceGetUtilizationRates(device *d, nvmlUtilization_t *utilization) {
    CHECK_DEVICE(d);
    if (d->is_mig) return NOT_SUPPORTED;
    utilization->gpu = d->util_gpu;
    utilization->memory = d->util_mem;
    return OK;
}

nvmlReturn_t nvmlDeviceGetMigMode(device *d, unsigned int *current, unsigned int *pending) {
    CHECK_DEVICE(d);
    if (d->is_mig) return NOT_SUPPORTED;
    *current = *pending = d->mig_mode;
    return OK;
}

nvmlReturn_t nvmlDeviceGetMaxMigDeviceCount(device *d, unsigned int *count) {
    CHECK_DEVICE(d);
    *count = d->mig_mode ? MAX_MIG - 1 : 0;
    return OK;
}

nvmlReturn_t nvmlDeviceGetMigDeviceHandleByIndex(device *d, unsigned int index, device **out) {
    CHECK_DEVICE(d);
    if (!d->mig_mode) return INVALID_ARGUMENT;
    if (index >= (unsigned) d->mig_count) return NOT_FOUND;
    *out = d->migs[index];
    return OK;
}

nvmlReturn_t nvmlDeviceGetGpuInstanceId(device *d, unsigned int *id) {
    CHECK_DEVICE(d);
    if (!d->is_mig) return NOT_SUPPORTED;
    *id = d->gi;
    return OK;
}

nvmlReturn_t nvmlDeviceGetComputeInstanceId(device *d, unsigned int *id) {
    CHECK_DEVICE(d);
    if (!d->is_mig) return NOT_SUPPORTED;
    *id = d->ci;
    return OK;
}

nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(device *d, unsigned int *count, nvmlProcessInfo_t *infos) {
    CHECK_DEVICE(d);
    nvmlProcessInfo_t found[64];
    unsigned int n = 0;
    FILE *f = open_beside("processes");
    if (f) {
        char uuid[96], line[256];
        unsigned int pid;
        unsigned long long used;
        while (n < 64 && fgets(line, sizeof line, f)) {
            if (sscanf(line, "%95s %u %llu", uuid, &pid, &used) == 3 && !strcmp(uuid, d->uuid)) {
                found[n].pid = pid;
                found[n].usedGpuMemory = used;
                found[n].gpuInstanceId = d->is_mig ? d->gi : 0xFFFFFFFF;
                found[n].computeInstanceId = d->is_mig ? d->ci : 0xFFFFFFFF;
                n++;
            }
        }
        fclose(f);
    }
    if (*count < n || !infos) { *count = n; return n == 0 ? OK : INSUFFICIENT_SIZE; }
    memcpy(infos, found, n * sizeof *infos);
    *count = n;
    return OK;
}

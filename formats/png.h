/* png.h — screenshots as files a person can open: a binary PPM (what QEMU's
 * screendump gives libvirt) written as a PNG with zlib. */
#pragma once

#include <stddef.h>

/* Write the P6 (8-bit RGB) image in ppm[0..len) to path as a PNG, mode
 * 0600, through a temporary name. -EINVAL when ppm is not such an image. */
int png_write_from_ppm(const char *path, const unsigned char *ppm, size_t len);

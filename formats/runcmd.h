/* runcmd.h — run a helper tool (qemu-img) from an argv array: no shell,
 * stdin from /dev/null, stderr captured for the error message. */
#pragma once

/* Run argv[0] (searched in PATH). Non-zero exit records an error naming
 * the tool with the last line of its stderr and returns -EIO. */
int runcmd(char *const argv[]);

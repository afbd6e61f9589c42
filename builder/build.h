/* build.h — the build driver: one build spec through every stage, in order:
 * iso -> seed -> install -> provision -> generalize -> export -> publish. */
#pragma once

#include <stddef.h>

#include "installer.h"
#include "spec.h"

#define BUILD_MAX_STAGES 8

struct build_stage_time {
	const char *stage;
	double seconds;
};

struct build_result {
	char **outputs;            /* paths of the images written */
	struct build_stage_time stages[BUILD_MAX_STAGES];
	size_t n_stages;
	char *kept_dir;            /* --on-error keep: where the work files are */
	char *kept_domain;         /* --on-error keep: the VM left running */
	char *kept_login;          /* --on-error keep in provisioning: the ssh command that enters it */
};

/* Where a build keeps its shared state: the ISO cache and scratch space. */
struct build_env {
	const char *cache_dir;     /* NULL: iso_default_cache_dir() */
	const char *tmp_dir;       /* NULL: $TMPDIR or /var/tmp */
};

/* Run one build. On failure returns a negative errno with err_message()
 * saying which stage failed and why; everything the build created is
 * removed unless spec->on_error asks to keep it. */
int build_run(const struct build_spec *spec, const struct build_env *env, struct build_result *res);
void build_result_free(struct build_result *res);

/* For `hnbuild validate`: "KEY  # cached ..." (the installed-base key the
 * build would use and whether the cache holds it), "off  # why" or
 * "unknown  # why" (an ISO still to download). Reads the ISO, downloads
 * nothing. */
int build_describe_cache(const struct build_spec *spec, const struct build_env *env, char **text);

/* The install data's parameters for a spec, as the seed stage renders
 * them (`hnbuild render`, validate's cache key and the build share it):
 * the build user, and password_hash or NULL for a locked password. */
struct install_params build_install_params(const struct build_spec *spec, const char *user,
					   const char *password_hash);

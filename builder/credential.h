/* credential.h — the per-build login for provisioning: a build user with a
 * fresh ed25519 key pair made in memory (libssh), and optionally the
 * PKR_SSH_PASSWORD compatibility password, kept only as a SHA-512 crypt hash
 * in anything written. Generalize removes the user, key and sudoers entry. */
#pragma once

#include <stddef.h>

struct ssh_key_struct;

#define CREDENTIAL_DEFAULT_USER "hnbuild"

struct build_credential {
	char *user;		    /* "hnbuild" */
	char *public_key;	    /* "ssh-ed25519 AAAA... hnbuild-build" (authorized_keys line) */
	char *private_key;	    /* OpenSSH private key text; a secret (registered) */
	struct ssh_key_struct *key; /* the same key for libssh authentication */
	char *password;		    /* PKR_SSH_PASSWORD or NULL; a secret (registered) */
	char *password_hash;	    /* "$6$salt$..." of password, or NULL (account locked) */
};

/* Make the credential: user (NULL = "hnbuild"; must be a valid Linux user
 * name), a new ed25519 key pair, and when password is non-NULL its hash.
 * The private key and the password are registered with log_add_secret. */
int credential_create(const char *user, const char *password, struct build_credential *out);

/* SHA-512 crypt ("$6$" + 16 random salt characters) of password. */
int credential_hash_password(const char *password, char **hash_out);

/* Is name a user name the installers accept ([a-z_][a-z0-9_-]*, at most 32)? */
int credential_check_user_name(const char *name);

/* Write the private key to path with mode 0600 (atomically). */
int credential_write_private_key(const struct build_credential *cred, const char *path);

/* Wipe the secrets from memory and free everything. */
void credential_free(struct build_credential *cred);

/* credential.c — the build's SSH key pair (libssh) and the compatibility
 * password hash (libcrypt), with every secret registered for redaction. */
#include "credential.h"

#include <crypt.h>
#include <errno.h>
#include <libssh/libssh.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "err.h"
#include "log.h"
#include "strbuf.h"
#include "util.h"

static void wipe_free(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

int credential_check_user_name(const char *name)
{
	if (str_empty(name) || strlen(name) > 32)
		return err_usage("Invalid build user name '%s': 1 to 32 characters", name ? name : "");
	if (!((name[0] >= 'a' && name[0] <= 'z') || name[0] == '_'))
		return err_usage("Invalid build user name '%s': must start with a-z or _", name);
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			return err_usage("Invalid build user name '%s': only a-z, 0-9, _ and -", name);
	if (strcmp(name, "root") == 0)
		return err_usage("The build user cannot be root");
	return 0;
}

int credential_hash_password(const char *password, char **hash_out)
{
	static const char alphabet[] = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	if (str_empty(password))
		return err_usage("The build password (PKR_SSH_PASSWORD) is empty");
	unsigned char raw[16];
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return err_fail(-EIO, "No random bytes for a password salt");
	char setting[3 + sizeof(raw) + 1] = "$6$";
	for (size_t i = 0; i < sizeof(raw); i++)
		setting[3 + i] = alphabet[raw[i] & 63];
	setting[3 + sizeof(raw)] = '\0';

	struct crypt_data *cd = xcalloc(1, sizeof(*cd));
	const char *h = crypt_r(password, setting, cd);
	int r = 0;
	if (!h || h[0] != '$' || strncmp(h, "$6$", 3) != 0)
		r = err_fail(-EINVAL, "SHA-512 crypt of the build password failed");
	else
		*hash_out = xstrdup(h);
	OPENSSL_cleanse(cd, sizeof(*cd));
	free(cd);
	return r;
}

/* Register the key text and each of its base64 lines, so a partial print of
 * the key is redacted too. */
static void register_private_key(const char *text)
{
	log_add_secret(text);
	_cleanup_free_ char *copy = xstrdup(text);
	char *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strlen(line) >= 16 && line[0] != '-')
			log_add_secret(line);
	OPENSSL_cleanse(copy, strlen(copy));
}

int credential_create(const char *user, const char *password, struct build_credential *out)
{
	struct build_credential c = {0};
	if (!user)
		user = CREDENTIAL_DEFAULT_USER;
	int r = credential_check_user_name(user);
	if (r < 0)
		return r;
	c.user = xstrdup(user);

	ssh_key key = NULL;
	if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) != SSH_OK || !key) {
		r = err_fail(-EIO, "Failed to generate the build's ed25519 key");
		goto fail;
	}
	c.key = key;
	char *b64 = NULL;
	if (ssh_pki_export_pubkey_base64(key, &b64) != SSH_OK || !b64) {
		r = err_fail(-EIO, "Failed to export the build's public key");
		goto fail;
	}
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	sb_addf(&sb, "%s %s hnbuild-build", ssh_key_type_to_char(ssh_key_type(key)), b64);
	ssh_string_free_char(b64);
	c.public_key = sb_detach(&sb, NULL);

	char *priv = NULL;
	if (ssh_pki_export_privkey_base64(key, NULL, NULL, NULL, &priv) != SSH_OK || !priv) {
		r = err_fail(-EIO, "Failed to export the build's private key");
		goto fail;
	}
	c.private_key = xstrdup(priv);
	OPENSSL_cleanse(priv, strlen(priv));
	ssh_string_free_char(priv);
	register_private_key(c.private_key);

	if (password) {
		log_add_secret(password);
		r = credential_hash_password(password, &c.password_hash);
		if (r < 0)
			goto fail;
		c.password = xstrdup(password);
	}
	*out = c;
	return 0;
fail:
	credential_free(&c);
	return r;
}

int credential_write_private_key(const struct build_credential *cred, const char *path)
{
	if (!cred->private_key)
		return err_fail(-EINVAL, "No private key to write to %s", path);
	int r = write_file_atomic(path, cred->private_key, strlen(cred->private_key), 0600);
	if (r < 0)
		return err_fail_errno(r, "Failed to write the build key to %s", path);
	return 0;
}

void credential_free(struct build_credential *cred)
{
	free(cred->user);
	free(cred->public_key);
	wipe_free(cred->private_key);
	wipe_free(cred->password);
	free(cred->password_hash);
	if (cred->key)
		ssh_key_free(cred->key);
	*cred = (struct build_credential){0};
}

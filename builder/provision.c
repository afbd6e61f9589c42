/* provision.c — provisioning over SSH with libssh. Every step is a shell
 * script template (builder/templates/provision-*.sh) prefixed by its
 * variables, fed on stdin to `sudo -n /bin/sh -s`, so no secret is ever on
 * a command line, ours or the guest's sudo. */
#include "provision.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libssh/libssh.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "embedded.h"
#include "err.h"
#include "log.h"
#include "machine.h"
#include "signals.h"
#include "strbuf.h"
#include "udtemplate.h"
#include "util.h"

#define OUTPUT_TAIL 25
/* How long a channel request may wait on a busy guest (channel_start). */
#define SSH_REQUEST_WAIT 180.0

int provision_free_port(unsigned *port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_fail_errno(-errno, "cannot open a socket");
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
		int r = -errno;
		close(fd);
		return err_fail_errno(r, "cannot find a free port on 127.0.0.1");
	}
	close(fd);
	*port = ntohs(a.sin_port);
	return 0;
}

static void replace_all(struct strbuf *out, const char *in, const char *key, const char *value)
{
	size_t kl = strlen(key);
	while (*in) {
		if (!strncmp(in, key, kl)) {
			sb_adds(out, value);
			in += kl;
		} else {
			sb_addc(out, *in++);
		}
	}
}

char *provision_nodeadm_url(const struct build_spec *spec)
{
	const char *arch = arch_by_id(spec->arch)->nodeadm;
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	if (spec->nodeadm_url) {
		struct strbuf tmp = STRBUF_INIT;
		sb_init(&tmp);
		replace_all(&tmp, spec->nodeadm_url, "{arch}", arch);
		replace_all(&sb, tmp.buf, "{version}", spec->nodeadm_version);
		sb_release(&tmp);
	} else {
		sb_addf(&sb, "https://hybrid-assets.eks.amazonaws.com/releases/%s/bin/linux/%s/nodeadm",
			spec->nodeadm_version, arch);
	}
	return sb_detach(&sb, NULL);
}

/* ---- SSH ---- */

struct ssh_conn {
	ssh_session s;
};

struct provision_conn {
	const struct provision_params *p;
	struct ssh_conn c;
	double deadline;
};

static void ssh_conn_close(struct ssh_conn *c)
{
	if (c->s) {
		ssh_disconnect(c->s);
		ssh_free(c->s);
		c->s = NULL;
	}
}

static int ssh_try_connect(const struct provision_params *p, struct ssh_conn *c, const char **why)
{
	ssh_session s = ssh_new();
	if (!s)
		abort();
	long timeout = 5;
	int port = (int)p->ssh_port;
	int no = 0;
	ssh_options_set(s, SSH_OPTIONS_HOST, "127.0.0.1");
	ssh_options_set(s, SSH_OPTIONS_PORT, &port);
	ssh_options_set(s, SSH_OPTIONS_USER, p->cred->user);
	ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout);
	ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &no);
	/* The guest is our own VM behind a loopback forward, with host keys made
	 * at its first boot: there is nothing to compare them against. */
	ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, "/dev/null");
	ssh_options_set(s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null");
	if (ssh_connect(s) != SSH_OK) {
		*why = "no SSH server answering yet";
		ssh_free(s);
		return -EAGAIN;
	}
	if (ssh_userauth_publickey(s, NULL, p->cred->key) != SSH_AUTH_SUCCESS) {
		*why = "SSH answers but does not accept the build key yet";
		ssh_disconnect(s);
		ssh_free(s);
		return -EACCES;
	}
	c->s = s;
	return 0;
}

static int guest_alive(const struct provision_params *p, const char *doing)
{
	if (signals_interrupted())
		return err_interrupted("provision");
	if (p->vm && machine_stopped(p->vm))
		return err_fail(-EIO, "the build VM stopped while %s\n  console (last lines):\n%s", doing,
				machine_console_tail(p->vm));
	if (p->vm && machine_failure_line(p->vm))
		return err_fail(-EIO, "the build VM failed while %s: %s\n  console (last lines):\n%s", doing,
				machine_failure_line(p->vm), machine_console_tail(p->vm));
	return 0;
}

static int wait_for_ssh(const struct provision_params *p, struct ssh_conn *c, double deadline)
{
	const char *why = "not tried";
	double t0 = now_monotonic();
	log_info("provision: waiting for SSH on 127.0.0.1:%u", p->ssh_port);
	for (;;) {
		int r = guest_alive(p, "waiting for SSH");
		if (r < 0)
			return r;
		if (ssh_try_connect(p, c, &why) == 0) {
			log_info("provision: SSH is up after %.0f s", now_monotonic() - t0);
			return 0;
		}
		if (now_monotonic() > deadline)
			return err_fail(-ETIMEDOUT, "the installed system did not accept SSH within the timeout (%s)\n"
						    "  console (last lines):\n%s",
					why, p->vm ? machine_console_tail(p->vm) : "");
		sleep(2);
	}
}

/* Output lines of a step: to the log, and the last ones kept for errors. */
struct step_output {
	const char *step;
	struct strbuf partial;
	char *tail[OUTPUT_TAIL];
	unsigned next;
};

static void step_line(struct step_output *o, const char *line)
{
	char *red = log_redact(line);
	log_info("  %s | %s", o->step, red);
	free(o->tail[o->next]);
	o->tail[o->next] = red;
	o->next = (o->next + 1) % OUTPUT_TAIL;
}

static void step_bytes(struct step_output *o, const char *buf, int n)
{
	for (int i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			step_line(o, o->partial.buf);
			sb_reset(&o->partial);
		} else if (buf[i] != '\r') {
			sb_addc(&o->partial, buf[i]);
		}
	}
}

static char *step_tail(struct step_output *o)
{
	struct strbuf sb = STRBUF_INIT;
	sb_init(&sb);
	if (o->partial.len)
		step_line(o, o->partial.buf);
	for (unsigned i = 0; i < OUTPUT_TAIL; i++) {
		const char *l = o->tail[(o->next + i) % OUTPUT_TAIL];
		if (l)
			sb_addf(&sb, "    | %s\n", l);
	}
	return sb_detach(&sb, NULL);
}

static void step_output_free(struct step_output *o)
{
	for (unsigned i = 0; i < OUTPUT_TAIL; i++)
		free(o->tail[i]);
	sb_release(&o->partial);
}

/* libssh's reason for the last failure, or what an SSH_AGAIN without one
 * means. */
static const char *ssh_reason(struct ssh_conn *c, int rc)
{
	const char *e = ssh_get_error(c->s);
	if (e && *e)
		return e;
	return rc == SSH_AGAIN ? "the guest's sshd did not answer in time" : "no reason given by libssh";
}

/* Open a session channel and start command on it. libssh 0.10 gives up a
 * channel request when the session timeout (SSH_OPTIONS_TIMEOUT) passes and
 * returns SSH_AGAIN without setting an error; the request is still under
 * way, and calling again goes on waiting. A loaded guest can take longer
 * than one timeout to answer, so wait up to SSH_REQUEST_WAIT seconds (and
 * never past the deadline), watching the VM, before failing with a reason. */
static int channel_start(const struct provision_params *p, struct ssh_conn *c, ssh_channel ch,
			 const char *command, const char *step, double deadline)
{
	double limit = now_monotonic() + SSH_REQUEST_WAIT;
	if (limit > deadline)
		limit = deadline;
	static const char *const what[] = {"cannot open an SSH channel", "cannot start the command over SSH"};
	for (int stage = 0; stage < 2; stage++) {
		int rc;
		while ((rc = stage ? ssh_channel_request_exec(ch, command) : ssh_channel_open_session(ch)) ==
		       SSH_AGAIN) {
			int g = guest_alive(p, step);
			if (g < 0)
				return g;
			if (now_monotonic() > limit)
				break;
			log_debug("provision: '%s': still waiting for the guest's sshd (%s)", step,
				  stage ? "command" : "channel");
		}
		if (rc != SSH_OK)
			return err_fail(-EIO, "provision step '%s': %s: %s", step, what[stage], ssh_reason(c, rc));
	}
	return 0;
}

/* Run `command` in the guest with `input` on its stdin; stream its output.
 * Returns the exit status (>= 0) or a negative errno. */
static int ssh_exec(const struct provision_params *p, struct ssh_conn *c, const char *command, const void *input,
		    size_t input_len, struct step_output *out, double deadline)
{
	ssh_channel ch = ssh_channel_new(c->s);
	if (!ch)
		abort();
	int r = channel_start(p, c, ch, command, out->step, deadline);
	if (r < 0) {
		ssh_channel_free(ch);
		return r;
	}
	const char *data = input;
	while (input_len > 0) {
		uint32_t chunk = input_len > 65536 ? 65536 : (uint32_t)input_len;
		int w = ssh_channel_write(ch, data, chunk);
		if (w <= 0) {
			ssh_channel_free(ch);
			return err_fail(-EIO, "provision step '%s': cannot send data over SSH: %s", out->step,
					ssh_reason(c, w));
		}
		data += w;
		input_len -= (size_t)w;
	}
	ssh_channel_send_eof(ch);
	char buf[8192];
	for (;;) {
		int r = guest_alive(p, out->step);
		if (r < 0) {
			ssh_channel_free(ch);
			return r;
		}
		if (now_monotonic() > deadline) {
			ssh_channel_free(ch);
			return err_fail(-ETIMEDOUT, "provision step '%s' did not finish within the timeout", out->step);
		}
		int n = ssh_channel_read_timeout(ch, buf, sizeof(buf), 0, 200);
		if (n > 0)
			step_bytes(out, buf, n);
		int e = ssh_channel_read_nonblocking(ch, buf, sizeof(buf), 1);
		if (e > 0)
			step_bytes(out, buf, e);
		/* At end of stream reads answer 0 or SSH_EOF at once, not after the timeout. */
		if (n == SSH_ERROR || e == SSH_ERROR) {
			ssh_channel_free(ch);
			return err_fail(-EIO, "SSH connection lost during '%s': %s", out->step, ssh_reason(c, SSH_ERROR));
		}
		if (n <= 0 && e <= 0 && (ssh_channel_is_eof(ch) || ssh_channel_is_closed(ch)))
			break;
	}
	int status = ssh_channel_get_exit_status(ch);
	ssh_channel_close(ch);
	ssh_channel_free(ch);
	return status < 0 ? 255 : status;
}

/* ---- the pieces ---- */

int provision_connect(const struct provision_params *p, struct provision_conn **out)
{
	struct provision_conn *c = xcalloc(1, sizeof(*c));
	c->p = p;
	c->deadline = now_monotonic() + p->timeout;
	int r = wait_for_ssh(p, &c->c, c->deadline);
	if (r < 0) {
		free(c);
		return r;
	}
	*out = c;
	return 0;
}

void provision_close(struct provision_conn *c)
{
	if (!c)
		return;
	ssh_conn_close(&c->c);
	free(c);
}

int provision_shell(struct provision_conn *c, const char *step, const char *script, size_t len)
{
	log_info("provision: %s", step);
	struct step_output out = {.step = step};
	sb_init(&out.partial);
	int status = ssh_exec(c->p, &c->c, "sudo -n /bin/sh -s", script, len, &out, c->deadline);
	int r = 0;
	if (status > 0) {
		_cleanup_free_ char *tail = step_tail(&out);
		r = err_fail(-EIO, "provision step '%s' failed with exit status %d; its output (last lines):\n%s", step,
			     status, tail);
	} else if (status < 0) {
		r = status;
	}
	step_output_free(&out);
	return r;
}

int provision_upload(struct provision_conn *c, const char *local, const char *remote)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	int r = read_file(local, &data, &len);
	if (r < 0)
		return err_fail_errno(r, "cannot read %s", local);
	_cleanup_free_ char *cmd = NULL;
	/* remote is ours (a fixed directory and random hex): safe to quote plainly. */
	if (asprintf(&cmd, "sudo -n /bin/sh -c 'umask 077 && cat > %s'", remote) < 0)
		abort();
	struct step_output out = {.step = "upload"};
	sb_init(&out.partial);
	int status = ssh_exec(c->p, &c->c, cmd, data, len, &out, c->deadline);
	if (status > 0) {
		_cleanup_free_ char *tail = step_tail(&out);
		r = err_fail(-EIO, "cannot upload %s to the guest (exit status %d):\n%s", local, status, tail);
	} else {
		r = status;
	}
	step_output_free(&out);
	return r;
}

/* ---- the steps ---- */

struct step_var {
	const char *name;
	const char *value;
};

/* Hosts that bypass the build's proxy when --no-proxy is not given. */
static const char default_no_proxy[] = "localhost,127.0.0.1,169.254.169.254,.svc,.cluster.local";

/* With --proxy, every step runs with the proxy in its environment, in both
 * spellings: nodeadm downloads through Go's ProxyFromEnvironment and
 * subscription-manager reads HTTPS_PROXY, https_proxy, HTTP_PROXY, http_proxy
 * (rhsm/utils.py get_env_proxy_info) and no_proxy. The values travel inside
 * the script on the SSH channel, never in an argv. */
static void add_proxy_env(struct strbuf *script, const struct build_spec *s)
{
	if (!s->proxy)
		return;
	static const char *const proxy_names[] = {"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"};
	static const char *const no_proxy_names[] = {"NO_PROXY", "no_proxy"};
	for (size_t i = 0; i < ARRAY_SIZE(proxy_names); i++) {
		sb_addf(script, "export %s=", proxy_names[i]);
		udtemplate_shell_quote(script, s->proxy);
		sb_addc(script, '\n');
	}
	for (size_t i = 0; i < ARRAY_SIZE(no_proxy_names); i++) {
		sb_addf(script, "export %s=", no_proxy_names[i]);
		udtemplate_shell_quote(script, s->no_proxy ? s->no_proxy : default_no_proxy);
		sb_addc(script, '\n');
	}
}

/* A step is a template script prefixed by its variables, shell-quoted. */
static int run_template(struct provision_conn *c, const char *step, const char *template,
			const struct step_var *vars, size_t n_vars)
{
	const char *body = embedded_get(template, NULL);
	if (!body)
		return err_fail(-ENOENT, "internal: template %s is missing", template);
	struct strbuf script = STRBUF_INIT;
	sb_init(&script);
	for (size_t i = 0; i < n_vars; i++) {
		sb_addf(&script, "%s=", vars[i].name);
		udtemplate_shell_quote(&script, vars[i].value ? vars[i].value : "");
		sb_addc(&script, '\n');
	}
	add_proxy_env(&script, c->p->spec);
	sb_adds(&script, body);
	int r = provision_shell(c, step, script.buf, script.len);
	explicit_bzero(script.buf, script.len);
	sb_release(&script);
	return r;
}

static int step_proxy(struct provision_conn *c, const struct build_spec *s)
{
	struct strbuf proxy_esc = STRBUF_INIT, noproxy_esc = STRBUF_INIT, dropin = STRBUF_INIT, apt = STRBUF_INIT;
	sb_init(&proxy_esc);
	sb_init(&noproxy_esc);
	sb_init(&dropin);
	sb_init(&apt);
	udtemplate_systemd_escape(&proxy_esc, s->proxy);
	udtemplate_systemd_escape(&noproxy_esc, s->no_proxy ? s->no_proxy : default_no_proxy);
	struct udtemplate_var v1[] = {{"PROXY", proxy_esc.buf}, {"NO_PROXY", noproxy_esc.buf}};
	struct udtemplate_var v2[] = {{"PROXY", s->proxy}};
	int r = udtemplate_render("user-data/templates/http-proxy.conf", v1, 2, &dropin);
	if (r >= 0)
		r = udtemplate_render("user-data/templates/apt-proxy.conf", v2, 1, &apt);
	if (r >= 0) {
		struct step_var vars[] = {{"PROXY", s->proxy}, {"PROXY_DROPIN", dropin.buf}, {"APT_PROXY", apt.buf}};
		r = run_template(c, "proxy", "builder/templates/provision-proxy.sh", vars, ARRAY_SIZE(vars));
	}
	sb_release(&proxy_esc);
	sb_release(&noproxy_esc);
	sb_release(&dropin);
	sb_release(&apt);
	return r;
}

static int step_nodeadm(struct provision_conn *c, const struct build_spec *s, const char *remote)
{
	char timeout[32];
	double left = c->deadline - now_monotonic();
	snprintf(timeout, sizeof(timeout), "%um", left > 120 ? (unsigned)(left / 60) : 2);
	struct step_var vars[] = {
		{"NODEADM_UPLOAD", remote}, {"K8S_VERSION", s->k8s_version},
		{"CREDENTIAL_PROVIDER", credential_provider_name(s->credential_provider)},
		{"CONTAINERD_SOURCE", containerd_source_name(s)}, {"REGION", s->region},
		{"NODEADM_TIMEOUT", timeout}, {"MANIFEST_OVERRIDE", s->manifest_override},
		{"PRIVATE_MODE", s->private_mode ? "1" : ""},
	};
	return run_template(c, "nodeadm install", "builder/templates/provision-nodeadm.sh", vars, ARRAY_SIZE(vars));
}

int provision_user_script(struct provision_conn *c, const char *script, const char *remote)
{
	_cleanup_free_ char *step = NULL;
	const char *base = strrchr(script, '/');
	if (asprintf(&step, "provision-script %s", base ? base + 1 : script) < 0)
		abort();
	int r = provision_upload(c, script, remote);
	if (r < 0)
		return r;
	struct step_var vars[] = {{"USER_SCRIPT", remote}};
	return run_template(c, step, "builder/templates/provision-user-script.sh", vars, 1);
}

int provision_steps(struct provision_conn *c)
{
	const struct provision_params *p = c->p;
	const struct build_spec *s = p->spec;
	bool rhel = os_by_id(s->os)->family == FAMILY_RHEL;
	int r = 0;
	_cleanup_free_ char *rnd = random_hex(6);
	_cleanup_free_ char *remote = NULL;
	if (asprintf(&remote, "/var/tmp/hnbuild-%s", rnd) < 0)
		abort();

	if (s->proxy)
		r = step_proxy(c, s);
	if (r >= 0 && rhel) {
		/* The one place a secret is on an argv: subscription-manager takes
		 * the password and the activation key only as options (it prompts
		 * for a password only on a terminal, and never for a key), so they
		 * are in the guest's process list for as long as `register` runs,
		 * a few seconds, to the guest's own root and build user. They reach
		 * no log, the host's process list or the image (README, "Secrets"). */
		struct step_var vars[] = {{"RH_USERNAME", s->rh_username}, {"RH_PASSWORD", s->rh_password},
					  {"RH_ORG", s->rh_org}, {"RH_ACTIVATION_KEY", s->rh_activation_key},
					  {"RHEL_MAJOR", os_by_id(s->os)->release}};
		r = run_template(c, "subscription-manager register", "builder/templates/provision-rhsm-register.sh",
				 vars, ARRAY_SIZE(vars));
	}
	if (r >= 0)
		r = provision_upload(c, p->nodeadm_path, remote);
	if (r >= 0)
		r = step_nodeadm(c, s, remote);
	for (size_t i = 0; r >= 0 && s->provision_scripts && s->provision_scripts[i]; i++) {
		/* A user's script may hold secrets (an activation code, say). It
		 * goes to /run, a tmpfs under systemd, so that its bytes never
		 * reach the disk: a deleted file's blocks survive fstrim inside a
		 * qcow2 cluster that still holds other data. */
		_cleanup_free_ char *script_remote = NULL;
		if (asprintf(&script_remote, "/run/hnbuild-%s-%zu", rnd, i) < 0)
			abort();
		r = provision_user_script(c, s->provision_scripts[i], script_remote);
	}
	/* Unregister even after a failed step: an entitlement must not stay
	 * consumed by a VM that is about to be deleted. A failed unregister
	 * (Red Hat unreachable) does not fail the build: the clean step after
	 * it removes every local identity, the hygiene gate proves it, and the
	 * warning names what is left to do. A failed clean fails the build. */
	if (rhel && !signals_interrupted()) {
		struct err_saved saved = {0};
		if (r < 0)
			err_save(&saved);
		c->deadline = now_monotonic() + 300;
		if (run_template(c, "subscription-manager unregister", "builder/templates/provision-rhsm-unregister.sh",
				 NULL, 0) < 0) {
			log_warn("provision: RHSM unregister failed, so this build's system stays registered with Red Hat "
				 "(its ID is in the register step's output above) until you remove it in the Customer "
				 "Portal (Subscriptions, Systems); the image holds no identity. %s",
				 err_message());
			err_clear();
		}
		int q = run_template(c, "subscription-manager clean", "builder/templates/provision-rhsm-clean.sh", NULL,
				     0);
		if (r < 0)
			err_restore(&saved, "provision failed");
		else if (q < 0)
			r = q;
	}
	if (r >= 0) {
		/* Power off from inside; the channel may drop as the guest stops. */
		ssh_channel ch = ssh_channel_new(c->c.s);
		if (ch && ssh_channel_open_session(ch) == SSH_OK)
			ssh_channel_request_exec(ch, "sudo -n systemctl poweroff");
		if (ch)
			ssh_channel_free(ch);
	}
	return r;
}

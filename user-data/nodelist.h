/* nodelist.h — the nodes `hnbuild userdata` writes data for: names from
 * --node-name, or a YAML/CSV file with a name and, optionally, a static
 * address (CIDR), gateway and DNS servers per node. */
#pragma once

#include <stddef.h>

struct node_entry {
	char *name;	 /* hostname, instance-id and (IAM-RA) node name */
	char *address;	 /* "10.0.0.11/24" or NULL for DHCP */
	char *gateway;	 /* NULL = none */
	char **dns;	 /* NULL = none */
	char *interface; /* NIC name ("ens192"; a glob like "e*" on Ubuntu), NULL = default */
	char *origin;	 /* "FILE:LINE" or "--node-name", for messages */
};

struct node_list {
	struct node_entry *items;
	size_t n;
};

/* Append a DHCP node. */
void nodelist_add(struct node_list *list, const char *name, const char *origin);
/* Read FILE: YAML (a list, or a mapping with `nodes:`; each item a mapping
 * with name, address, gateway, dns, interface, or a bare name) or CSV
 * (name,address,gateway,dns,interface; dns separated by ';' or spaces; '#' comments;
 * an optional header row starting with "name"). The format is chosen by the
 * extension (.csv, .yaml/.yml), else by content. Problems (with FILE:LINE:COL)
 * are appended to *problems; returns 0, -EINVAL (problems) or -errno (read). */
int nodelist_load(const char *path, struct node_list *list, char ***problems);
/* Names valid and unique, addresses parse, gateway/DNS only with an address. */
int nodelist_validate(const struct node_list *list, char ***problems);
void nodelist_free(struct node_list *list);

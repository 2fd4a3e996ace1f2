/* The subcommands' own help texts (see usage.h): one table, each entry
 * the command's name and its whole text. */
#include "user/ctl/usage.h"

#include <string.h>

struct usage {
	const char *cmd;
	const char *text;
};

static const struct usage usages[] = {
	{ "check", "Validate configuration as the gateway would load it: every error is\n"
		   "printed with its file:line:col (at most 100), a misspelt key with the\n"
		   "nearest one it knows, then \"configuration ok\" or \"N errors:\n"
		   "configuration invalid\". Standalone YAML and Kubernetes resources alike.\n"
		   "\n"
		   "usage:\n"
		   "  splicegate check -c FILE|DIR [-c FILE|DIR]...\n"
		   "\n"
		   "options:\n"
		   "  -c, --config FILE|DIR   a config file, or a directory of .yaml files\n"
		   "                          (repeatable; read together, as the gateway does)\n"
		   "\n"
		   "exit status:\n"
		   "  0  the configuration is valid\n"
		   "  1  it is not, or a file cannot be read\n"
		   "\n"
		   "examples:\n"
		   "  splicegate check -c /etc/splicegate\n"
		   "  splicegate check -c gateway.yaml -c routes/\n" },
	{ "apply", "Add or replace resources in the running gateway, as kubectl apply does:\n"
		   "each file is sent whole over the admin socket, checked, and put in\n"
		   "force, or refused with the reason and nothing changed.\n"
		   "\n"
		   "usage:\n"
		   "  splicegate apply -f FILE|DIR|- [-f ...] [-n NS]\n"
		   "\n"
		   "options:\n"
		   "  -f, --filename FILE|DIR|-\n"
		   "                          resources to send (YAML or JSON); a directory: its\n"
		   "                          .yaml, .yml and .json files by name; each a change\n"
		   "                          of its own\n"
		   "  -n, --namespace NS      the namespace of resources that name none\n"
		   "                          (default \"default\")\n"
		   "      --server-side       accepted, as kubectl takes it\n"
		   "      --admin-socket PATH the gateway's admin socket\n"
		   "                          (default /run/splicegate/admin.sock)\n"
		   "      --admin ADDR        send to this admin address instead\n"
		   "\n"
		   "exit status:\n"
		   "  0  applied\n"
		   "  1  refused (the reason is printed), or a bad option\n"
		   "  2  no gateway answers on the admin socket\n"
		   "\n"
		   "examples:\n"
		   "  sudo splicegate apply -f httproute.yaml\n"
		   "  kubectl kustomize overlay/ | sudo splicegate apply -f -\n"
		   "  sudo splicegate apply -f routes/ -n team-a\n" },
	{ "delete", "Remove resources from the running gateway, named by file or by kind\n"
		    "and name, as kubectl delete does.\n"
		    "\n"
		    "usage:\n"
		    "  splicegate delete -f FILE|DIR|- [-n NS]\n"
		    "  splicegate delete KIND NAME... [-n NS]\n"
		    "  splicegate delete KIND/NAME... [-n NS]\n"
		    "\n"
		    "options:\n"
		    "  -f, --filename FILE|DIR|-\n"
		    "                          the resources those files describe\n"
		    "  -n, --namespace NS      their namespace (default \"default\")\n"
		    "      --ignore-not-found  a resource that does not exist is no error\n"
		    "      --admin-socket PATH the gateway's admin socket\n"
		    "                          (default /run/splicegate/admin.sock)\n"
		    "\n"
		    "exit status:\n"
		    "  0  deleted\n"
		    "  1  refused or not found, or a bad option\n"
		    "  2  no gateway answers on the admin socket\n"
		    "\n"
		    "examples:\n"
		    "  sudo splicegate delete httproute store -n shop\n"
		    "  sudo splicegate delete -f httproute.yaml\n"
		    "  sudo splicegate delete gateway/edge --ignore-not-found\n" },
	{ "get", "Show the resources in force with their Gateway API status, read from\n"
		 "the running gateway.\n"
		 "\n"
		 "usage:\n"
		 "  splicegate get KIND[,KIND...] [NAME] [-n NS|-A] [-o wide|name|yaml|json]\n"
		 "\n"
		 "KIND is any kubectl spelling: gateway (gtw), listenerset (lset),\n"
		 "xlistenerset, httproute, grpcroute, tcproute, tlsroute,\n"
		 "backendtlspolicy, agentgatewaypolicy, referencegrant, service (svc),\n"
		 "endpointslice, configmap (cm), namespace (ns). The parts of the config\n"
		 "in force, standalone or built from those resources, as config_dump has\n"
		 "them: binds, listeners, routes, backends (a table, -o json or -o yaml;\n"
		 "NAME: the key or its last part).\n"
		 "\n"
		 "options:\n"
		 "  -n, --namespace NS      that namespace (default \"default\")\n"
		 "  -A, --all-namespaces    every namespace\n"
		 "  -o, --output FMT        wide (the table with more columns), name\n"
		 "                          (kind.group/name lines), yaml or json (two-space\n"
		 "                          indents) (default: a table with AGE)\n"
		 "      --admin-socket PATH the gateway's admin socket\n"
		 "                          (default /run/splicegate/admin.sock)\n"
		 "      --admin ADDR        read from this admin address instead\n"
		 "\n"
		 "exit status:\n"
		 "  0  shown (\"No resources found\" included)\n"
		 "  1  not found, an unknown kind or a bad option\n"
		 "  2  no gateway answers\n"
		 "\n"
		 "examples:\n"
		 "  splicegate get gateway -A\n"
		 "  splicegate get gateway,httproute -n shop -o wide\n"
		 "  splicegate get routes\n"
		 "  splicegate get httproute store -n shop -o yaml\n" },
	{ "describe", "Show one resource in force as kubectl describe does: its metadata,\n"
		      "spec and status, each condition with its reason, message,\n"
		      "observedGeneration and lastTransitionTime.\n"
		      "\n"
		      "usage:\n"
		      "  splicegate describe KIND NAME [-n NS]\n"
		      "\n"
		      "options:\n"
		      "  -n, --namespace NS      its namespace (default \"default\")\n"
		      "      --admin-socket PATH the gateway's admin socket\n"
		      "                          (default /run/splicegate/admin.sock)\n"
		      "      --admin ADDR        read from this admin address instead\n"
		      "\n"
		      "exit status:\n"
		      "  0  shown\n"
		      "  1  not found, an unknown kind or a bad option\n"
		      "  2  no gateway answers\n"
		      "\n"
		      "examples:\n"
		      "  splicegate describe httproute store -n shop\n"
		      "  splicegate describe gateway edge\n" },
	{ "bpf",
	  "The bundled BPF loader: load the sockmap programs and pin them, so\n"
	  "that a gateway without CAP_BPF can use them; unload them; show what is\n"
	  "pinned.\n"
	  "\n"
	  "usage:\n"
	  "  splicegate bpf load|unload|status [--pin-dir DIR] [--backlog BYTES]\n"
	  "\n"
	  "options:\n"
	  "      --pin-dir DIR       where the maps and programs are pinned (an absolute\n"
	  "                          path; default /sys/fs/bpf/splicegate)\n"
	  "      --backlog BYTES     (load) the bytes a spliced socket may hold unread\n"
	  "                          before the kernel path takes no more (default 2097152)\n"
	  "\n"
	  "exit status:\n"
	  "  0  done\n"
	  "  1  a bad subcommand or option\n"
	  "  2  the kernel refused (the reason is printed)\n"
	  "\n"
	  "examples:\n"
	  "  sudo splicegate bpf load\n"
	  "  sudo splicegate bpf status\n" },
	{ "version", "Print the version (the release and the git commit it was built from).\n"
		     "\n"
		     "usage:\n"
		     "  splicegate version\n"
		     "  splicegate --version\n" },
	{ "help", "Help for the gateway (its options) or for one subcommand.\n"
		  "\n"
		  "usage:\n"
		  "  splicegate help [check|apply|delete|get|describe|bpf|version]\n"
		  "  splicegate CMD --help\n" },
};

static const struct usage *find(const char *cmd)
{
	for (size_t i = 0; cmd && i < sizeof(usages) / sizeof(usages[0]); i++)
		if (!strcmp(usages[i].cmd, cmd))
			return &usages[i];
	return NULL;
}

bool sg_usage_print(const char *cmd, FILE *out)
{
	const struct usage *u = find(cmd);

	if (u)
		fputs(u->text, out);
	return u != NULL;
}

bool sg_usage_known(const char *cmd)
{
	return find(cmd) != NULL;
}

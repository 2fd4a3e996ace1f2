/* The engine a relay takes (engine.h says the rules). */
#include "user/relay/engine.h"

enum sg_relay_engine sg_relay_setup(struct sg_pump *p, const struct sg_relay_engines *e,
				    const struct sg_relay_sock *client,
				    const struct sg_relay_sock *backend,
				    const struct sg_relay_what *w, int *pair_err)
{
	const struct sg_relay_sock *src = w->to_backend ? client : backend;
	const struct sg_relay_sock *dst = w->to_backend ? backend : client;
	uint64_t budget = w->chunked ? 0 : w->budget;
	bool in_map = sg_ksock_kernel(client->k) || sg_ksock_kernel(backend->k);
	enum sg_relay_engine engine = w->tunnel	      ? e->tunnel
				      : w->to_backend ? e->upload
						      : e->download;

	*pair_err = 0;
	if (w->tunnel && w->promoted)
		engine = SG_RELAY_SOCKMAP;
	if ((w->budget < SG_RELAY_SPLICE_MIN && !w->tunnel) || w->chunked)
		engine = SG_RELAY_COPY;
	if (client->tls || backend->tls) {
		sg_pump_init(p, SG_RELAY_COPY, src->fd, dst->fd, budget);
		sg_pump_set_tls(p, src->tls, dst->tls);
		return SG_RELAY_COPY;
	}
	if (!e->kmap && engine == SG_RELAY_SOCKMAP)
		engine = SG_RELAY_SPLICE;
	if ((in_map || engine == SG_RELAY_SOCKMAP) && !client->k->failed && !backend->k->failed) {
		*pair_err = sg_sockmap_pair(e->kmap, client->k, client->fd, client->io, backend->k,
					    backend->fd, backend->io);
		if (*pair_err == 0) {
			sg_pump_init_sockmap(p, sg_sockmap_splice(e->kmap), src->fd, src->k,
					     dst->fd, dst->k, budget);
			return SG_RELAY_SOCKMAP;
		}
		in_map = true;
	}
	if (in_map)
		engine = SG_RELAY_COPY;
	else if (engine == SG_RELAY_SOCKMAP)
		engine = SG_RELAY_SPLICE;
	sg_pump_init(p, engine, src->fd, dst->fd, budget);
	/* A body of known length, either way (a tunnel's bytes come as they
	 * come). */
	p->batch = !w->tunnel && !w->chunked && !in_map;
	/* auto: held to half a CPU, one iperf3 stream ran 2.17 GB/s spliced
	 * against 1.76 copied (0.22 s of proxy CPU per GB against 0.29;
	 * scripts/BENCH.md "Tunnels spliced while saturated"). */
	p->adapt = e->adapt && engine == SG_RELAY_COPY &&
		   (w->tunnel ||
		    (p->batch && w->budget >= SG_RELAY_BUF_MAX && w->budget != UINT64_MAX));
	return engine;
}

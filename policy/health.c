/* Passive health decisions (policy/health.h), agentgateway's rules with
 * its constants. */
#include "policy/health.h"

static bool cmp(const struct sg_code_cmp *t, uint16_t status)
{
	switch (t->op) {
	case SG_CODE_EQ:
		return status == t->value;
	case SG_CODE_NE:
		return status != t->value;
	case SG_CODE_LT:
		return status < t->value;
	case SG_CODE_LE:
		return status <= t->value;
	case SG_CODE_GT:
		return status > t->value;
	case SG_CODE_GE:
		return status >= t->value;
	}
	return false;
}

bool sg_health_unhealthy(const struct sg_health_policy *p, uint16_t status)
{
	bool any = false, group = true;

	if (!p || !p->unhealthy_expression)
		return status == 0 || status >= 500;
	if (status == 0)
		return false;
	/* ORs of ANDs: a term with or_before closes the group before it. */
	for (size_t i = 0; i < p->nterms; i++) {
		if (i && p->terms[i].or_before) {
			any |= group;
			group = true;
		}
		group = group && cmp(&p->terms[i], status);
	}
	return any || (p->nterms && group);
}

sg_dur sg_health_eviction(const struct sg_health_policy *p, sg_dur fallback, double health,
			  uint64_t failures, uint64_t times_evicted)
{
	sg_dur base = fallback;
	bool has_count, has_threshold, over;

	if (!p)
		return 0;
	/* eviction.duration, else the fallback, else 3s when an eviction
	 * section asks for one (agentgateway's eviction_decision). */
	if (p->has_eviction && p->duration != SG_DUR_UNSET)
		base = p->duration;
	else if (p->has_eviction && fallback == SG_DUR_UNSET)
		base = SG_HEALTH_DEFAULT_EVICTION;
	if (base == SG_DUR_UNSET || base <= 0)
		return 0;
	has_count = p->has_eviction && p->consecutive_failures != SG_UNSET;
	has_threshold = p->has_eviction && p->health_threshold >= 0;
	over = !has_count && !has_threshold;
	/* +1: this failure is not counted yet. */
	if (has_count && p->consecutive_failures > 0 &&
	    failures + 1 >= (uint64_t)p->consecutive_failures)
		over = true;
	if (has_threshold && health < p->health_threshold)
		over = true;
	if (!over)
		return 0;
	/* Multiplicative backoff without a cap, as agentgateway: an endpoint
	 * is never the last one evicted (user/core/lb.c), so a long one costs
	 * only that endpoint's share. Saturating, like its Duration. */
	if (times_evicted + 1 > (uint64_t)(INT64_MAX / base))
		return INT64_MAX;
	return base * (sg_dur)(times_evicted + 1);
}

double sg_health_ewma(double old, double v)
{
	return old == 0.0 ? v : 0.3 * v + 0.7 * old;
}

double sg_health_score(double health, double latency_s, unsigned pending)
{
	return health / (1.0 + latency_s * (1.0 + (double)pending * 0.1));
}

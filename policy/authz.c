/* Authorization over CEL rule sets, in agentgateway's order (its
 * http/authorization.rs RuleSets::validate). */
#include "policy/authz.h"

/* Whether e is true. One that passed the run's step or memory bound is
 * `past` (a deny rule: true): agentgateway has no such bound, so the rule
 * might have held there, and a client must not get past a deny rule by
 * sending what makes it run long (a large JSON body, many headers). */
static bool holds(const struct sg_cel *e, struct sg_cel_run *run, bool past)
{
	struct sg_cel_val v;

	run->steps = 0;
	sg_cel_eval(e, run, &v);
	return sg_cel_run_over(run) ? past : sg_cel_true(&v);
}

/* Whether any rule of l holds; all of them when `all`. */
static bool check(const struct sg_authz_rules *l, bool all, bool past, struct sg_cel_run *run)
{
	for (size_t i = 0; i < l->n; i++)
		if (holds(l->v[i], run, past) != all)
			return !all;
	return all;
}

bool sg_authz_allows(const struct sg_authz *const *a, size_t n, struct sg_cel_run *run)
{
	bool rules = false, allow_rules = false;

	for (size_t i = 0; i < n; i++) {
		rules |= a[i]->allow.n || a[i]->deny.n || a[i]->require.n;
		allow_rules |= a[i]->allow.n != 0;
	}
	if (!rules)
		return true;
	for (size_t i = 0; i < n; i++)
		if (check(&a[i]->deny, false, true, run))
			return false;
	for (size_t i = 0; i < n; i++)
		if (!check(&a[i]->require, true, false, run))
			return false;
	for (size_t i = 0; i < n; i++)
		if (check(&a[i]->allow, false, false, run))
			return true;
	return !allow_rules;
}

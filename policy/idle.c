#include "policy/idle.h"

void sg_idle_start(struct sg_idle *w, uint64_t limit, uint64_t now, uint64_t moved)
{
	w->limit = limit;
	w->due = limit ? now + limit : 0;
	w->active_at = now;
	w->seen = moved;
}

void sg_idle_stop(struct sg_idle *w)
{
	w->limit = w->due = 0;
}

void sg_idle_note(struct sg_idle *w, uint64_t now, uint64_t moved)
{
	if (!w->due || moved == w->seen)
		return;
	w->seen = moved;
	w->active_at = now;
}

bool sg_idle_expired(struct sg_idle *w, uint64_t now, uint64_t moved, bool flowing,
		     sg_idle_quiet_fn quiet, void *arg)
{
	uint64_t idle = 0;

	if (!w->limit)
		return false;
	if (moved != w->seen || !flowing) {
		w->seen = moved;
		w->active_at = now;
	} else {
		idle = now > w->active_at ? now - w->active_at : 0;
		if (quiet)
			idle = quiet(arg, idle);
	}
	if (idle >= w->limit)
		return true;
	w->due = now + (w->limit - idle);
	return false;
}

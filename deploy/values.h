/* Between the VM's values (vm/value.h) and the JSON that providers, state and plans hold:
 * maps and records become objects, lists arrays, ints and floats numbers.  A deploy-time
 * value has no JSON: the conversion reports it, and puts the marker {"$unknown": true} in
 * its place, which equals no real value (a provider's diff sees it as a change). */
#ifndef PLAT_DEPLOY_VALUES_H
#define PLAT_DEPLOY_VALUES_H

#include <stdbool.h>

#include <jansson.h>

#include "vm/value.h"

/* JSON of [v] (new reference).  *unknown is set when [v] is or holds a deploy-time value
 * (left unchanged otherwise); resources become their node number's marker
 * {"$resource": n} (inputs never hold them: the checker refuses it). */
json_t *dv_to_json(Val v, bool *unknown);
/* json_equal(dv_to_json(v), j), without building the JSON; false whenever unsure (a
 * deploy-time value, a resource, a float that is not finite). */
bool dv_equal_json(Val v, const json_t *j);
/* Is [j] the unknown marker? */
bool dv_is_unknown_marker(const json_t *j);
json_t *dv_unknown_marker(void);
/* The value of [j] in [rt] (objects -> maps, integers -> int, reals -> float); an rt_error
 * for a string that is not UTF-8 or nesting deeper than the VM allows. */
Val dv_from_json(Rt *rt, const json_t *j);

#endif

/* Layer 0, base: the one object of sampler-link.h. */
#include "sampler-link.h"

struct ovc_sampler_link ovc_sampler_link;

// A bench source that includes the report library above it: the check must reject it.
#include "rigcheck/report/report.h"

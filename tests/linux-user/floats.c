/* printf/strtod of floats and libm. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  double x = 0.1;
  for (int i = 0; i < 10; i++) x = x * 3.7 - floor(x * 3.7);
  printf("%.17g %e %a\n", x, 1.0 / 3.0, 0.1);
  printf("%f %g %.3f\n", sqrt(2.0), exp(1.0), sin(1.0) + cos(2.0));
  float f = 1.0f / 7.0f;
  printf("%.9g %.20f\n", f, (double)f);
  printf("%g %g %g\n", strtod("1e308", 0) * 10, -0.0, nan(""));
  long double ld = 1.0L / 3.0L;
  printf("%.30Lf\n", ld);
  printf("%d %ld\n", (int)lround(2.5), lrint(-3.5));
  return 0;
}

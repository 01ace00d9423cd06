/* Reproducer: Debian's libvectorscan 5.4.9 (this machine, AVX2/AVX-512) misses literal
   matches in block mode. Four literals, one of them " failed"; texts 'a'*p + "ErrImagePull" +
   'a'*q; the literal is reported for only some (p, q). Both hs_compile_lit_multi and
   hs_compile_multi miss; the result depends on the bytes after the scanned buffer.
     gcc -O0 -o /tmp/vs benchmarks/vectorscan-literal-misses.c $(pkg-config --cflags --libs libhs) && /tmp/vs 4
   Seen 2026-12-01: np=1,2 → 0 misses; np=3 → 226/4000; np=4 → 358/4000. Until this is
   understood, the gate stays on the hand-written LiteralSet (issue 12).
   2026-12-02, again with the rules' 387 gate literals (each at offsets 0-129 before tails of
   0-69 bytes, seven fill bytes): random subsets of 3 to 16 of them miss in most draws (for
   example 8 of 10 sets of 6 literals, 1 of 10 sets of 16); none of 10 sets of 24 or 40, nor
   the whole set (0 of 8.45 M placements), missed. Masking the CPU features at compile time
   (hs_platform_info_t.cpu_features = 0) does not help, and zero padding after the buffer
   does not either. A gate must not lose a failure for some rule sets: the gate stays on
   LiteralSet, whose tests place every literal the same way. */
#include <hs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static int cb(unsigned id, unsigned long long from, unsigned long long to, unsigned flags, void *ctx){ (*(int*)ctx)++; return 0; }
int main(int argc, char **argv){
  int np = atoi(argv[1]);
  const char *pats[] = {"ErrImagePull", "x509: certificate", "\" failed", "ApplyLayer"};
  unsigned flags[4]={0}; unsigned ids[4]={0,1,2,3}; size_t lens[4]; for(int i=0;i<4;i++) lens[i]=strlen(pats[i]);
  hs_database_t *db; hs_compile_error_t *err;
  hs_compile_lit_multi(pats, flags, ids, lens, np, HS_MODE_BLOCK, NULL, &db, &err);
  hs_scratch_t *s = NULL; hs_alloc_scratch(db, &s);
  int miss=0, total=0; char buf[400];
  for (int p=0;p<100;p++) for (int q=0;q<40;q++) {
    memset(buf,'a',p); memcpy(buf+p,"ErrImagePull",12); memset(buf+p+12,'a',q); buf[p+12+q]='a';
    int n=0; hs_scan(db, buf, p+12+q, 0, s, cb, &n); total++; if(!n){ miss++; if (miss<6) printf("miss p=%d q=%d\n",p,q);} }
  printf("np=%d misses %d/%d\n", np, miss, total);
}

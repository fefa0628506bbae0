/*
 * An independent model of the seed's hazard in Promela, at the explorer's test scope:
 * one region = one level-3 frame of E level-2 frames of E pages (E = 2), two aliased roots A, B,
 * one direct level-2 child SP shared through the SP hash, its level-1 children, two vCPUs' TLBs,
 * faults, enabling dirty logging (manual-protect, initially-set or not), KVM_CLEAR_DIRTY_LOG of
 * one page, guest accesses at any time, the split's lock drop between huge pages, and the
 * "unmapped" stale-TLB check at every mmu_lock release.
 * VARIANT: 0 pre-patch (always flush), 1 v7 (flush iff a reused entry is a present non-leaf),
 *          2 never-flush, 3 if-reused.
 * Bounds as the explorer's test bound: OPS KVM operations (faults count), ACC guest accesses.
 */
#ifndef VARIANT
#define VARIANT 1
#endif
#ifndef E
#define E 2
#endif
#ifndef OPS
#define OPS 4
#endif
#ifndef ACC
#define ACC 2
#endif

/* root r's level-3 entry: 0 absent, 1 huge (1G) leaf, 2 -> the shared direct L2 SP */
byte l3[2];
/* the shared direct L2 SP: exists?, entry i: 0 absent, 1 2M leaf, 2 -> L1 SP i */
bool l2exists;
byte l2[E];
/* L1 SP i, entry j present (4K leaf) */
bool l1[E*E];
bool l1exists[E];
/* TLB per vCPU per root: 1G entry; 2M entries; 4K entries (writable translations, pfn = gfn) */
bool tlb1g[4];            /* [vcpu*2+root] */
bool tlb2m[4*E];          /* [(vcpu*2+root)*E + i] */
bool tlb4k[4*E*E];        /* [(vcpu*2+root)*E*E + p] */
bool logging; bool initset;
bool lock;
byte ops; byte acc;
bool violation;
/* temporaries of the inlines (globals, so inlines can nest without redeclarations) */
hidden byte k, cv, cr, cp, si, sj, er, ei, cm, reused, nonleaf;

/* does root r map page p? */
inline mapped(r, p, res) {
  res = (l3[r] == 1) || (l3[r] == 2 && (l2[p / E] == 1 || (l2[p / E] == 2 && l1[p])))
}

inline flushall() {
  for (k : 0 .. 3) { tlb1g[k] = 0 }
  for (k : 0 .. 4*E-1) { tlb2m[k] = 0 }
  for (k : 0 .. 4*E*E-1) { tlb4k[k] = 0 }
}

/* the unmapped check at an mmu_lock release */
inline check() {
  for (cv : 0 .. 1) { for (cr : 0 .. 1) { for (cp : 0 .. E*E-1) {
    mapped(cr, cp, cm);
    if
    :: (tlb1g[cv*2+cr] || tlb2m[(cv*2+cr)*E + cp/E] || tlb4k[(cv*2+cr)*E*E + cp]) && !cm -> violation = 1
    :: else -> skip
    fi
  } } }
}

/* a guest access (fill of what the walk finds); faults run atomically when the lock is free */
inline access(v, r, p) {
  atomic {
    if
    :: l3[r] == 1 -> tlb1g[v*2+r] = 1
    :: l3[r] == 2 && l2[p/E] == 1 -> tlb2m[(v*2+r)*E + p/E] = 1
    :: l3[r] == 2 && l2[p/E] == 2 && l1[p] -> tlb4k[(v*2+r)*E*E + p] = 1
    :: else ->
       if
       :: !lock && ops < OPS ->
          ops++;
          if
          :: !logging -> l3[r] = 1; tlb1g[v*2+r] = 1   /* 1G mapping (a huge SPTE over a table: not reached in this scope) */
          :: logging ->
             if :: l3[r] == 1 -> flushall() :: else -> skip fi;  /* link_shadow_page always flushes */
             l3[r] = 2; l2exists = 1;
             if :: l2[p/E] == 1 -> flushall() :: else -> skip fi;
             l2[p/E] = 2; l1exists[p/E] = 1; l1[p] = 1;
             tlb4k[(v*2+r)*E*E + p] = 1
          fi;
          check()
       :: else -> skip
       fi
    fi;
    acc++
  }
}

/* split root r's huge SPTE: get (maybe reuse) the L2 SP, fill absent entries, drop, flush?, link */
inline split1g(r) {
  reused = l2exists; nonleaf = 0; l2exists = 1;
  for (si : 0 .. E-1) {
    if :: l2[si] == 0 -> l2[si] = 1 :: l2[si] == 2 -> nonleaf = 1 :: else -> skip fi
  }
  l3[r] = 0;
  if
  :: VARIANT == 0 -> flushall()
  :: VARIANT == 1 && nonleaf -> flushall()
  :: VARIANT == 3 && reused -> flushall()
  :: else -> skip
  fi;
  l3[r] = 2
}

/* split a 2M leaf of the shared L2 SP into L1 SP i (reuse is possible, partial never: a fault fills one page only if the entry was a table) */
inline split2m(i) {
  reused = l1exists[i]; l1exists[i] = 1;
  for (sj : 0 .. E-1) { l1[i*E + sj] = 1 }
  l2[i] = 0;
  if
  :: VARIANT == 0 -> flushall()
  :: VARIANT == 3 && reused -> flushall()
  :: else -> skip
  fi;
  l2[i] = 2
}

/* eager split of the region to 4K with a possible lock drop before every huge page */
inline eager_split() {
  lock = 1;
  for (er : 0 .. 1) {
    if
    :: l3[er] == 1 -> lock = 0; check(); (1); lock = 1; if :: l3[er] == 1 -> split1g(er) :: else -> skip fi
    :: else -> skip
    fi
  }
  for (ei : 0 .. E-1) {
    if
    :: l2[ei] == 1 -> lock = 0; check(); (1); lock = 1; if :: l2[ei] == 1 -> split2m(ei) :: else -> skip fi
    :: else -> skip
    fi
  }
  lock = 0; check()
}

active proctype guest() {
  byte v, r, p;
  do
  :: acc < ACC ->
     if :: v = 0 :: v = 1 fi; if :: r = 0 :: r = 1 fi;
     if :: p = 0 :: p = 1 :: p = E :: p = E + 1 fi;
     access(v, r, p)
  :: else -> break
  od
}

active proctype kvm() {
  byte g;
  do
  :: atomic { !lock && ops < OPS && !logging -> ops++; logging = 1; initset = 1 }
  :: atomic { !lock && ops < OPS && !logging -> ops++; logging = 1; initset = 0 }; eager_split()
  :: atomic { !lock && ops < OPS && logging && initset -> ops++ };
     if :: g = 0 :: g = 1 :: g = E :: g = E + 1 fi;
     eager_split()   /* the clear splits what covers g; write-protection and its flush come after the release */
  :: else -> break
  od
}

ltl safe { [] !violation }

/*
 * An independent model of the seed's hazard in Promela, at the explorer's small scope:
 * one region = one level-3 frame of E level-2 frames of E pages, two aliased roots A, B (their
 * level-3 entries), ONE direct level-2 child SP shared by both roots through the SP hash (so a
 * split of one root's huge page may reuse the SP a fault built through the other root, with a
 * present non-leaf entry), its level-1 children, two vCPUs' TLBs per root, and:
 *   faults (1G before logging; 4K under logging, dropping a huge leaf with a flush),
 *   enable dirty logging (initially-set: no split; otherwise eager split now),
 *   clear dirty log of one menu page or of the whole region (with initially-set, eager split of
 *   what covers it: kvm_arch_mmu_enable_log_dirty_pt_masked(); otherwise write-protect only),
 *   invalidation of one menu page (zap every leaf covering it, flush if it zapped),
 * the eager split dropping mmu_lock before every huge page (splitYield "every"), the caller's
 * write-protect + flush after the split, guest accesses at any time, and the "unmapped" stale-TLB
 * check (a TLB entry of root r for page p while r maps no p) at every mmu_lock release.
 *
 * VARIANT: 0 pre-patch (always flush), 1 v7 (flush iff a reused entry is a present non-leaf),
 *          2 never-flush, 3 if-reused (flush iff the child SP was reused).
 * Bounds as the explorer's: OPS KVM operations (faults count), ACC guest accesses.
 * Operations besides faults: enable and clear; -DALLOPS adds the invalidation (the explorer's
 * kinds but get-dirty-log, which only write-protects and flushes).
 *
 * Which operations may overlap, as in the kernel (docs/explorer.md, "Which operations may overlap"):
 * - the memslot ioctls hold slots_lock from start to return: they are one process (kvm), so two
 *   never overlap; the eager split exists only inside them (no standalone split: the kernel has
 *   no such entry point);
 * - the mmu-notifier invalidation takes no slots_lock: a process of its own (inval), which runs
 *   whenever mmu_lock is free, also while an ioctl has dropped it;
 * - a fault on a page an invalidation covers retries (mmu_invalidate_retry_hva), and the memslot
 *   update of enabling logging waits for invalidations in flight (kvm_swap_active_memslots): the
 *   invalidation is one atomic step, so neither can happen inside one;
 * - faults and every block that changes SPTEs take mmu_lock (!lock), guest accesses do not.
 *   spin -DVARIANT=1 -DE=4 -DOPS=4 -DACC=2 -a split.pml && gcc -O2 -DSAFETY -o pan pan.c && ./pan -m100000 -E
 *
 * Every block that reads or writes SPTEs, TLBs or the temporaries is atomic, so the shared
 * temporaries (k, cv, cr, cp, ...) are never seen half-way by another process. (The first
 * version was not: the split's check loop could be interleaved by a guest access whose own check
 * left cr = 2, and the split's check then judged root 2, which does not exist: a violation for
 * every variant.)
 */
#ifndef VARIANT
#define VARIANT 1
#endif
#ifndef E
#define E 4
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
/* TLB per vCPU per root: 1G entry; 2M entries; 4K entries (pfn = gfn, so only presence matters) */
bool tlb1g[4];            /* [vcpu*2+root] */
bool tlb2m[4*E];          /* [(vcpu*2+root)*E + i] */
bool tlb4k[4*E*E];        /* [(vcpu*2+root)*E*E + p] */
bool logging;
/* logging was enabled with manual-protect + initially-set: the clear splits */
bool initset;
bool lock;
byte ops; byte acc;
/* temporaries of the inlines: only used inside atomic blocks */
hidden byte k, cv, cr, cp, si, sj, reused, nonleaf, cm, zapped;

/* The menu of pages that accesses, clears and invalidations name: pages 0, 1, E and E + 1 (the
 * explorer's --pages few), or with -DALLPAGES every page of the region (--pages all). */
#ifdef ALLPAGES
#define MENU_PAGE(x) select(x : 0 .. E*E-1)
#else
#define MENU_PAGE(x) if :: x = 0 :: x = 1 :: x = E :: x = E + 1 fi
#endif

/* does root r map page p? */
#define MAPPED(r, p) ((l3[r] == 1) || (l3[r] == 2 && (l2[(p) / E] == 1 || (l2[(p) / E] == 2 && l1[p]))))
/* must an access of root r to page p (a write if w) fault? (huge leaves are write-protected under logging) */
#define NEEDS_FAULT(r, p, w) (!MAPPED(r, p) || (w && logging && (l3[r] == 1 || (l3[r] == 2 && l2[(p)/E] == 1))))
inline mapped(r, p, res) { res = MAPPED(r, p) }

inline flushall() {
  for (k : 0 .. 3) { tlb1g[k] = 0 }
  for (k : 0 .. 4*E-1) { tlb2m[k] = 0 }
  for (k : 0 .. 4*E*E-1) { tlb4k[k] = 0 }
}

/* the unmapped check at an mmu_lock release */
inline check() {
  for (cv : 0 .. 1) { for (cr : 0 .. 1) { for (cp : 0 .. E*E-1) {
    mapped(cr, cp, cm);
    assert(!((tlb1g[cv*2+cr] || tlb2m[(cv*2+cr)*E + cp/E] || tlb4k[(cv*2+cr)*E*E + cp]) && !cm))
  } } }
}

inline release() { lock = 0; check() }

/* link the shared L2 SP (reused if it exists) under root r, for a fault */
inline link_l2(r) {
  if :: l3[r] == 1 -> l3[r] = 0; flushall() :: else -> skip fi;   /* drop_large_spte flushes */
  if :: l3[r] == 0 -> l2exists = 1; l3[r] = 2 :: else -> skip fi
}

/* a fault of vCPU v through root r on page p, to its end (faults hold mmu_lock throughout) */
inline fault(v, r, p) {
  ops++;
  if
  :: !logging && l3[r] == 0 -> l3[r] = 1
  :: !logging && l3[r] == 2 && l2[p/E] == 0 -> l2[p/E] = 1
  :: !logging && l3[r] == 2 && l2[p/E] == 2 -> l1exists[p/E] = 1; l1[p] = 1
  :: else ->  /* logging (4K only), or a write to a write-protected huge leaf */
     link_l2(r);
     if :: l2[p/E] == 1 -> l2[p/E] = 0; flushall() :: else -> skip fi;
     l2[p/E] = 2; l1exists[p/E] = 1; l1[p] = 1
  fi;
  release()
}

/* a guest access: a walk and TLB fill; a write through a huge leaf under logging faults (the
 * huge leaves are write-protected), as does a walk that finds nothing; a fault runs only when
 * mmu_lock is free and the operation bound allows, else the access is not taken */
inline access(v, r, p, w) {
  atomic {
    acc < ACC && (!NEEDS_FAULT(r, p, w) || (!lock && ops < OPS)) ->
    if
    :: NEEDS_FAULT(r, p, w) -> fault(v, r, p)
    :: else
    fi;
    mapped(r, p, cm);
    if
    :: cm && l3[r] == 1 -> tlb1g[v*2+r] = 1
    :: cm && l3[r] == 2 && l2[p/E] == 1 -> tlb2m[(v*2+r)*E + p/E] = 1
    :: cm && l3[r] == 2 && l2[p/E] == 2 -> tlb4k[(v*2+r)*E*E + p] = 1
    :: else -> skip
    fi;
    acc++
  }
}

/* the variant's flush decision for a split that linked a (maybe reused) child */
inline split_flush() {
  if
  :: VARIANT == 0 -> flushall()
  :: VARIANT == 1 && nonleaf -> flushall()
  :: VARIANT == 3 && reused -> flushall()
  :: else -> skip
  fi
}

/* split root r's huge SPTE: get (maybe reuse) the L2 SP, fill absent entries with 2M leaves,
 * leave present ones (a present non-leaf one maps less than the huge page did), link, flush? */
inline split1g(r) {
  reused = l2exists; nonleaf = 0; l2exists = 1;
  for (si : 0 .. E-1) {
    if :: l2[si] == 0 -> l2[si] = 1 :: l2[si] == 2 -> nonleaf = 1 :: else -> skip fi
  }
  l3[r] = 2;
  split_flush()
}

/* split the 2M leaf i of the shared L2 SP into L1 SP i (reuse possible, never partial here) */
inline split2m(i) {
  reused = l1exists[i]; nonleaf = 0; l1exists[i] = 1;
  for (sj : 0 .. E-1) { l1[i*E + sj] = 1 }
  l2[i] = 2;
  split_flush()
}

/* eager split of the huge pages covering region page g (g = 255: the whole region), with a lock
 * drop (and the unmapped check) before every huge page, then the caller's write-protect + flush */
inline eager_split(g) {
  atomic { !lock -> lock = 1 };
  if
  :: atomic { l3[0] == 1 -> release() }; atomic { !lock -> lock = 1; if :: l3[0] == 1 -> split1g(0) :: else fi }
  :: else
  fi;
  if
  :: atomic { l3[1] == 1 -> release() }; atomic { !lock -> lock = 1; if :: l3[1] == 1 -> split1g(1) :: else fi }
  :: else
  fi;
  i2 = 0;
  do
  :: i2 < E ->
     if
     :: atomic { l2[i2] == 1 && (g == 255 || g / E == i2) -> release() };
        atomic { !lock -> lock = 1; if :: l2[i2] == 1 -> split2m(i2) :: else fi }
     :: else
     fi;
     i2++
  :: else -> break
  od;
  atomic { release() };
  atomic { !lock -> lock = 1; flushall(); release() }   /* write-protect (no change to what is mapped) and flush */
}

active proctype guest() {
  byte v, r, p; bool w;
  do
  :: acc < ACC ->
     atomic { if :: v = 0 :: v = 1 fi; if :: r = 0 :: r = 1 fi;
       MENU_PAGE(p);
       if :: w = 0 :: w = 1 fi };
     access(v, r, p, w)
  :: acc >= ACC -> break
  od
}

#ifdef ALLOPS
/* invalidations of one menu page: zap every leaf covering it, flush if anything was zapped */
active proctype inval() {
  byte g;
  do
  :: atomic {
       !lock && ops < OPS -> ops++;
       MENU_PAGE(g);
       zapped = 0;
       for (cr : 0 .. 1) { if :: l3[cr] == 1 -> l3[cr] = 0; zapped = 1 :: else fi };
       if :: l2exists && l2[g/E] == 1 -> l2[g/E] = 0; zapped = 1 :: else fi;
       if :: l1[g] -> l1[g] = 0; zapped = 1 :: else fi;
       if :: zapped -> flushall() :: else fi;
       release()
     }
  :: ops >= OPS -> break
  od
}
#endif

/* the memslot ioctls, one process: slots_lock, never two at once */
byte i2;
active proctype kvm() {
  byte g;
  do
  :: atomic { !lock && ops < OPS && !logging -> ops++; logging = 1; initset = 1 }   /* initially-set: no split */
  :: atomic { !lock && ops < OPS && !logging -> ops++; logging = 1 }; eager_split(255)  /* classic or not initially-set */
  :: atomic { !lock && ops < OPS && logging -> ops++;
       if :: MENU_PAGE(g) :: g = 255 fi };
     /* clear dirty log of one page or of the whole region: the split only with initially-set */
     if
     :: initset -> eager_split(g)
     :: else -> atomic { !lock -> lock = 1; flushall(); release() }   /* write-protect (no change to what is mapped) and flush */
     fi
  :: ops >= OPS -> break
  od
}

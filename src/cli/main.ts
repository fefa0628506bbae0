// Placeholder until the core lands: the CLI entry point exists so the bundle builds.
console.log('kvm-mmu-lab: the simulation core is being built');

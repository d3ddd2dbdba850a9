/** The e2e harness; it lives in scripts/lib so the benchmark starts clusters the same way. */
export * from '../../scripts/lib/cluster';
